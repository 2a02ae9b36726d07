"""The lineage store on both engines: a DuckDB file and a real PostgreSQL server
(tests/postgres_fixture.py). The same writes give the same ids and rows; PostgreSQL takes many
writers at once, storing each row once; a server that is down or restarts gives a clear error
without the password, and a write batch it interrupted leaves nothing behind."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from synth_assets.lineage.forget import plan_removal, remove
from synth_assets.lineage.history import format_chain, lineage_chain
from synth_assets.lineage.location import open_store
from synth_assets.lineage.postgres_store import PostgresLineageStore, StoreUnavailableError
from synth_assets.verify.admission import verdict_admits
from tests.postgres_fixture import PostgresServer
from tests.test_admission import CASES

if TYPE_CHECKING:
    from synth_assets.lineage.location import Store


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "duckdb":
        return open_store(tmp_path / "synth.duckdb")
    return open_store(request.getfixturevalue("postgres_url"))


def seed_chain(store: Store) -> None:
    """A seed, a prompt made from it and two generations answering the prompt."""
    with store.writer() as writer:
        writer.insert_new("seeds", [{"seed_id": "seed_1", "seed_set": "math", "kind": "math",
                                     "payload": '{"question":"2+2?","b":[1, 2]}',
                                     "source_file": "math.jsonl", "source_line": 1}])
        writer.insert_new("prompts", [{"prompt_id": "prm_1", "recipe": "cot",
                                       "seed_id": "seed_1", "messages": "[]"}])
        writer.insert_new("generations", [
            {"generation_id": f"gen_{i}", "recipe": "cot", "prompt_id": "prm_1",
             "call_id": f"call_{i}", "seed_id": "seed_1", "sample_index": i,
             "text": f"answer {i}"} for i in (1, 2)])
        writer.link([("prm_1", "seed_1", "from_seed"), ("gen_1", "prm_1", "answers"),
                     ("gen_2", "prm_1", "answers")])


def test_a_streamed_snapshot_gets_the_id_of_a_listed_one_on_both_engines(store: Store) -> None:
    # ids that sort differently by byte and by a natural-language collation
    ids = [f"gen_{i:020d}" for i in range(2500, 0, -7)] + ["gen_B", "gen_a", "gen_-", "gen__"]
    with store.writer() as writer:
        expected = writer.record_snapshot("stage", 'label "quoted"', ids)
        writer.register("wanted_ids", [{"record_id": i} for i in ids], ["record_id"])
        streamed = writer.record_snapshot_of("stage", 'label "quoted"', "queries.sql",
                                             "wanted_ids_as_records")
    assert streamed == expected == "snap_" + expected.split("_")[1]
    assert store.query("snapshot_size", snapshot_id=streamed)[0]["members"] == len(ids)
    assert [row["record_id"] for row in store.query("snapshot_member_ids",
                                                    snapshot_id=streamed)] == sorted(ids)


def test_the_same_rows_twice_are_stored_once(store: Store) -> None:
    seed_chain(store)
    seed_chain(store)
    with store.writer() as writer:
        assert writer.insert_new("edges", [{"child_id": "gen_1", "parent_id": "prm_1",
                                            "relation": "answers"}]) == 0
    counts = {row["table_name"]: row["row_count"] for row in store.query("table_row_counts")}
    assert (counts["seeds"], counts["prompts"], counts["generations"], counts["edges"]) == \
        (1, 1, 2, 3)


def test_lineage_and_forget_on_both_engines(store: Store) -> None:
    seed_chain(store)
    chain = lineage_chain(store, "gen_2")
    assert [(row["kind"], row["record_id"]) for row in chain] == [
        ("seed", "seed_1"), ("prompt", "prm_1"), ("generation", "gen_2")]
    text = format_chain(chain)
    assert '"question": "2+2?"' in text and "linked as: answers <- gen_2" in text
    removal = plan_removal(store, "seed_1")
    assert removal.removed == {"seed": ["seed_1"], "prompt": ["prm_1"],
                               "generation": ["gen_1", "gen_2"],
                               "teacher_call": ["call_1", "call_2"]}
    deleted = remove(store, removal)
    assert deleted["generations"] == 2 and deleted["edges"] == 3
    assert store.query("forgotten_ids") == [{"record_id": "seed_1"}]
    counts = {row["table_name"]: row["row_count"] for row in store.query("table_row_counts")}
    assert counts["generations"] == counts["edges"] == counts["seeds"] == 0


def test_the_admission_rule_agrees_with_python_in_postgresql(postgres_url: str) -> None:
    store = PostgresLineageStore(postgres_url)
    with store.connection() as conn:
        for passed, score, min_score in CASES:
            for threshold in (min_score, None if min_score is None else repr(min_score)):
                cast = "DOUBLE PRECISION" if isinstance(threshold, float) else "TEXT"
                in_sql = conn.execute(f"SELECT verdict_admits(%s, %s, %s::{cast})",
                                      [passed, score, threshold]).fetchone()[0]
                assert in_sql == verdict_admits(passed, score, min_score), \
                    (passed, score, threshold)
        assert conn.execute("SELECT verdict_admits(false, 0.9, 'not a number')"
                            ).fetchone()[0] is False


def test_many_writers_of_overlapping_rows_store_each_row_once(postgres_url: str) -> None:
    """8 threads, each its own connection and transaction, write overlapping edges and the
    same snapshot at once, in different orders: no deadlock, no duplicate, no lost row."""
    store = PostgresLineageStore(postgres_url)
    edges = [(f"gen_{i:04d}", f"prm_{i % 50:04d}", "answers") for i in range(2000)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(worker: int) -> None:
        try:
            mine = edges[worker * 150: worker * 150 + 900]  # overlaps its neighbours
            if worker % 2:
                mine = mine[::-1]
            barrier.wait()
            with store.writer() as writer:
                writer.link(mine)
                writer.record_partition_snapshot("teacher_generations", "2026-11-20|cot",
                                                 [child for child, _, _ in edges[:100]])
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = store.query_frame("table_row_counts").set_index("table_name")["row_count"]
    assert stored["edges"] == len({e[0] for e in edges[: 7 * 150 + 900]})
    assert stored["snapshots"] == 1 and stored["snapshot_members"] == 100
    heads = store.query("partition_heads_of_stage", stage="teacher_generations")
    assert [(h["partition_key"], h["member_count"]) for h in heads] == [("2026-11-20|cot", 100)]


def test_a_server_that_is_down_gives_an_error_naming_the_url_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = sa.make_url(postgres_server.url("postgres")).set(port=1)  # nothing listens there
    store = PostgresLineageStore(url, reconnect_timeout_s=0.5)
    with pytest.raises(StoreUnavailableError) as raised:
        store.query("table_row_counts")
    message = str(raised.value)
    assert "postgresql+psycopg://synth:***@127.0.0.1:1/postgres" in message
    assert postgres_server.password not in message
    assert postgres_server.password not in repr(store.url) + store.path


def test_a_restart_mid_batch_leaves_nothing_and_the_next_write_reconnects(
    postgres_server: PostgresServer, postgres_url: str,
) -> None:
    store = PostgresLineageStore(postgres_url, reconnect_timeout_s=60)
    seed_chain(store)
    with pytest.raises(Exception) as raised, store.writer() as writer:
        writer.link([("gen_9", "prm_1", "answers")])
        postgres_server.stop()  # the server goes away with the batch half-written
        postgres_server.start()
        writer.link([("gen_10", "prm_1", "answers")])
    assert postgres_server.password not in str(raised.value)
    # the pooled connection died with the server: the next write gets a fresh one
    with store.writer() as writer:
        writer.link([("gen_11", "prm_1", "answers")])
    children = {row["record_id"] for row in store.query("descendants", record_id="prm_1")}
    assert children == {"prm_1", "gen_1", "gen_2"}  # gen_11 has no node row, gen_9 was undone
    edges = store.query_frame("table_row_counts").set_index("table_name")["row_count"]["edges"]
    assert edges == 3 + 1
