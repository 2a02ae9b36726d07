"""The sentence-transformers peer of bench_decontam.py: all-MiniLM-L6-v2 loaded by
sentence-transformers (CPU PyTorch) from the same model.zip our encoder reads, embedding the
texts (task and response) of the same records, read from the same DuckDB file. Runs inside its
own virtual environment; embeds the first LIMIT distinct texts (every text through the
encoder, the usual way) and prints one JSON line.

Usage: <st venv>/bin/python st_peer.py DB SNAPSHOT LIMIT MODEL_ZIP
(MODEL_ZIP: the all_minilm_l6_v2 package's model.zip, which bench_decontam.py passes.)
"""

import json
import sys
import tempfile
import time
import zipfile

import duckdb
from process_memory import peak_mb, rss_mb
from records_query import RECORDS_QUERY


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    db, snapshot, limit, model_zip = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rows = duckdb.connect(db, read_only=True).execute(RECORDS_QUERY, [snapshot]).fetchall()
    distinct = list(dict.fromkeys(text for row in rows for text in row))
    with tempfile.TemporaryDirectory() as folder:
        zipfile.ZipFile(model_zip).extractall(folder)
        model = SentenceTransformer(folder, device="cpu")
        baseline = rss_mb()
        texts = distinct[:limit]
        start, cpu = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=32)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"records": len(rows), "distinct_texts": len(distinct), "texts": len(texts),
                      "seconds": seconds, "cpu": cpu, "torch_threads": torch.get_num_threads(),
                      "baseline_mb": baseline, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
