"""How many threads the numeric libraries run: decided here, once, for the whole process.

BLAS (OpenBLAS, MKL), OpenMP and llama.cpp default to one thread per core. Our stages already
keep the cores busy (the event loop, DuckDB, the sandbox's processes) and the machine is often
shared, so a matrix product split over every core mostly waits for its slowest thread: on a
2-core machine at load 4 the semantic contamination scan spent 3x the CPU for the same work.
SYNTH_NUM_THREADS (default 1) sets the count, for onnxruntime's encoder session too
(text/minilm_onnx.py); raise it on a machine of your own. The embedded
teacher's llama.cpp keeps one thread per core: while it generates, nothing else of ours runs.

`limit_numeric_threads` runs when synth_assets is imported: it sets the libraries' environment
variables (read when numpy loads; a variable you set yourself is kept) and, for libraries
already loaded, applies the limit with threadpoolctl.
"""

import os

THREADS_ENV = "SYNTH_NUM_THREADS"
DEFAULT_THREADS = 1
LIBRARY_ENVS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def numeric_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "")
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{THREADS_ENV}={raw!r}: expected a whole number of threads, 1 or more")
    return int(raw)


def limit_numeric_threads() -> int:
    """Apply numeric_threads() to every numeric library of this process; returns it."""
    threads = numeric_threads()
    for name in LIBRARY_ENVS:
        os.environ.setdefault(name, str(threads))
    from threadpoolctl import threadpool_info, threadpool_limits

    if threadpool_info():  # a library loaded before us: the variables came too late for it
        threadpool_limits(limits=threads)
    return threads
