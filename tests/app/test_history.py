"""Chat history: round trip, ordering, owner-only file, and privacy "forget" that really removes the text."""
from __future__ import annotations

import stat
import threading
from pathlib import Path

from app.history import FORGOTTEN_ANSWER, History, StoredSource
from indexer.locator import Locator

SECRET = "zebra-marmalade-4711 is the alarm code"


def _sources() -> list[StoredSource]:
    return [StoredSource(1, "/docs/alarm.txt", Locator(line_start=3, line_end=4), "d1", SECRET),
            StoredSource(2, "/docs/lease.pdf", Locator(page=4, section="Rent"), "d2", "Rent is due on the 1st."),
            StoredSource(3, "/mail/flat.mbox", Locator(part="lease.pdf"), "d3", "Signed copy attached.")]


def test_round_trip(cove_data_dir: Path):
    h = History()
    cid = h.create_conversation("Flat")
    h.add_turn(cid, "What is the alarm code?", "It is zebra [1].", _sources(), model="Gemma 3 270m")
    h.add_turn(cid, "When is rent due?", "On the 1st [2].", _sources()[1:2], model="Gemma 3 270m")
    turns = History().turns(cid)  # a fresh instance reads the same file
    assert [t.question for t in turns] == ["What is the alarm code?", "When is rent due?"]
    assert turns[0].sources == tuple(_sources())  # the whole locator comes back: lines, page and section, mail part
    assert turns[0].sources[0].where.label == "lines 3–4" and turns[0].sources[2].where.label == "lease.pdf"
    assert turns[1].sources[0].where.page == 4 and turns[1].model == "Gemma 3 270m"
    assert h.path == cove_data_dir / "history.sqlite3"
    assert stat.S_IMODE(h.path.stat().st_mode) == 0o600


def test_list_rename_delete(cove_data_dir: Path):
    h = History()
    a, b = h.create_conversation("A"), h.create_conversation("B")
    h.add_turn(a, "q", "ans")  # touching A makes it the most recent
    assert [c.title for c in h.list_conversations()] == ["A", "B"]
    h.rename_conversation(b, "Bee")
    assert h.get_conversation(b).title == "Bee"
    h.delete_conversation(a)
    assert [c.id for c in h.list_conversations()] == [b]
    assert h.turns(a) == []


def test_forget_paths_removes_sources_and_their_text_from_the_file(cove_data_dir: Path):
    h = History()
    cid = h.create_conversation("Flat")
    for _ in range(20):
        h.add_turn(cid, "What is the alarm code?", f"It is {SECRET} [1].", _sources()[:2])
    keep = h.add_turn(cid, "When is rent due?", "On the 1st [1].", _sources()[1:2])
    assert SECRET.encode() in h.path.read_bytes()
    removed = h.forget_paths(["/docs/alarm.txt"])
    assert removed == 20
    turns = h.turns(cid)
    assert all([s.path for s in t.sources] == ["/docs/lease.pdf"] for t in turns)
    forgotten = [t for t in turns if t.id != keep]
    assert all(t.answer == FORGOTTEN_ANSWER and t.question == "What is the alarm code?" for t in forgotten)
    assert [t.answer for t in turns if t.id == keep] == ["On the 1st [1]."]  # untouched: it never used the file
    assert SECRET.encode() not in h.path.read_bytes()  # VACUUM + secure_delete: gone from the file, too
    assert h.forget_paths(["/docs/alarm.txt"]) == 0
    assert h.forget_paths(["/docs/"]) == 21  # a folder forgets everything inside it
    assert all(t.sources == () for t in h.turns(cid))


def test_concurrent_writers_do_not_collide(cove_data_dir: Path):
    h = History()
    cid = h.create_conversation()
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                h.add_turn(cid, f"q{i}-{j}", "a")
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(h.turns(cid)) == 40
