"""The peer of bench_decontam_ngram.py: lm-evaluation-harness's decontamination janitor
(lm_eval.decontamination.janitor, pure Python mode: its C++ helper is not in the wheel) on the
same records, streamed from the same DuckDB file. Runs inside the peer's own virtual
environment (lm-eval installed with --no-deps, plus duckdb); prints one JSON line.

Usage: <peer venv>/bin/python janitor_peer.py DB SNAPSHOT ITEMS_JSON BATCH
(DuckDB's memory_limit from SYNTH_DUCKDB_MEMORY_LIMIT, as ours)
"""

import contextlib
import io
import json
import os
import sys
import time

import duckdb
from process_memory import peak_mb, rss_mb
from records_query import RECORDS_QUERY

with contextlib.redirect_stdout(io.StringIO()):  # it prints a warning about its C++ helper
    from lm_eval.decontamination.janitor import Janitor


def main() -> None:
    db, snapshot, items_path, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # minimum_slice_length=0 only changes how clean chunks are cut, not what is detected, and
    # makes "returned chunks != [text]" mean "a registered 13-gram was found".
    janitor = Janitor(ngram_n=13, minimum_slice_length=0)
    for text in json.loads(open(items_path).read()):
        janitor.register_contaminant_python(text)
    baseline = rss_mb()
    limit = os.environ.get("SYNTH_DUCKDB_MEMORY_LIMIT")
    connection = duckdb.connect(db, read_only=True,
                                config={"memory_limit": limit} if limit else {})
    cursor = connection.execute(RECORDS_QUERY, [snapshot])
    records = contaminated = 0
    start = time.perf_counter()
    while rows := cursor.fetchmany(batch):
        for task, response in rows:
            text = f"{task}\n{response}"
            contaminated += janitor.clean_python(text) != [text]
        records += len(rows)
    seconds = time.perf_counter() - start
    print(json.dumps({"records": records, "seconds": seconds, "contaminated": contaminated,
                      "baseline_mb": baseline,
                      "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
