"""The hash chain under the review and subject audit logs: every kind of rewrite is reported."""
from __future__ import annotations

import pytest

from tasking import chain, warehouse


@pytest.fixture
def con(warehouse_file):
    with warehouse.connect(warehouse_file) as con:
        for n in range(1, 6):
            chain.append_event(con, "review", f"analyst {n}", {"n": n, "note": "ok"})
        chain.append_event(con, "other", "someone", {"n": 1})
        yield con


def test_an_untouched_chain_has_no_problems_and_records_who_ran_it(con):
    assert chain.verify_chain(con, "review") == []
    events = chain.read_events(con, "review")
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["prev_hash"] == "" and all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:]))
    assert events[0]["os_user"] == chain.os_user() != ""
    assert chain.head(con, "review") == (5, events[-1]["hash"])


def test_append_returns_the_stored_hash(con):
    digest = chain.append_event(con, "review", "x", {"n": 6})
    assert chain.read_events(con, "review")[-1]["hash"] == digest


def test_an_edited_payload_is_reported(con):
    con.execute("UPDATE event_log SET payload_json = '{\"n\":3,\"note\":\"changed\"}' WHERE stream = 'review' AND seq = 3")
    problems = chain.verify_chain(con, "review")
    assert any("event 3 edited" in p for p in problems), problems
    assert chain.verify_chain(con, "other") == []


@pytest.mark.parametrize("column, value", [("actor", "'someone else'"), ("os_user", "'intruder'"),
                                           ("event_at", "event_at + INTERVAL 1 HOUR")])
def test_an_edited_actor_user_or_time_is_reported(con, column, value):
    con.execute(f"UPDATE event_log SET {column} = {value} WHERE stream = 'review' AND seq = 2")
    assert any("event 2 edited" in p for p in chain.verify_chain(con, "review"))


def test_an_edit_with_a_recomputed_hash_breaks_the_link_to_the_next_event(con):
    event = chain.read_events(con, "review")[1]
    forged = chain.event_hash("review", event["event_at"], "forger", event["os_user"], event["payload_json"],
                              event["prev_hash"])
    con.execute("UPDATE event_log SET actor = 'forger', hash = ? WHERE stream = 'review' AND seq = 2", [forged])
    problems = chain.verify_chain(con, "review")
    assert any("before 3 was deleted or edited" in p for p in problems), problems


def test_a_deleted_middle_event_is_reported(con):
    con.execute("DELETE FROM event_log WHERE stream = 'review' AND seq = 3")
    problems = chain.verify_chain(con, "review")
    assert any("3 deleted" in p for p in problems), problems


def test_deleted_newest_events_are_reported_through_the_head(con):
    con.execute("DELETE FROM event_log WHERE stream = 'review' AND seq >= 4")
    assert any("4-5 deleted" in p for p in chain.verify_chain(con, "review"))


def test_a_whole_stream_deleted_is_reported_while_its_head_remains(con):
    con.execute("DELETE FROM event_log WHERE stream = 'review'")
    assert any("deleted" in p for p in chain.verify_chain(con, "review"))


def test_a_deleted_head_is_reported(con):
    con.execute("DELETE FROM event_chain_head WHERE stream = 'review'")
    assert any("head is missing" in p for p in chain.verify_chain(con, "review"))


def test_deleting_and_renumbering_is_still_reported(con):
    con.execute("DELETE FROM event_log WHERE stream = 'review' AND seq = 2")
    con.execute("UPDATE event_log SET seq = seq - 1 WHERE stream = 'review' AND seq > 2")
    con.execute("UPDATE event_chain_head SET seq = 4 WHERE stream = 'review'")
    problems = chain.verify_chain(con, "review")
    assert any("before 2 was deleted or edited" in p for p in problems), problems


def test_swapped_events_are_reported_as_reordered(con):
    con.execute("UPDATE event_log SET seq = 99 WHERE stream = 'review' AND seq = 2")
    con.execute("UPDATE event_log SET seq = 2 WHERE stream = 'review' AND seq = 3")
    con.execute("UPDATE event_log SET seq = 3 WHERE stream = 'review' AND seq = 99")
    problems = chain.verify_chain(con, "review")
    assert any("reordered" in p for p in problems), problems
    assert not any("edited" in p for p in problems), problems


def test_the_first_event_moved_to_the_end_is_reported_as_reordered(con):
    con.execute("UPDATE event_log SET seq = 6 WHERE stream = 'review' AND seq = 1")
    con.execute("UPDATE event_log SET seq = seq - 1 WHERE stream = 'review'")
    problems = chain.verify_chain(con, "review")
    assert any("reordered" in p for p in problems), problems


def test_an_event_rolled_back_with_the_callers_transaction_leaves_the_chain_intact(con):
    con.execute("BEGIN TRANSACTION")
    chain.append_event(con, "review", "x", {"n": 6})
    con.execute("ROLLBACK")
    assert chain.head(con, "review")[0] == 5
    assert chain.verify_chain(con, "review") == []
    chain.append_event(con, "review", "x", {"n": 6})
    assert chain.verify_chain(con, "review") == [] and chain.head(con, "review")[0] == 6


def test_the_chain_survives_reopening_the_warehouse(warehouse_file):
    with warehouse.connect(warehouse_file) as con:
        chain.append_event(con, "s", "a", {"text": "ünïcode [/x] =1+1"})
        chain.append_event(con, "s", "b", {})
    with warehouse.connect(warehouse_file, read_only=True) as con:
        assert chain.verify_chain(con, "s") == []
        assert chain.streams(con) == ["s"]
