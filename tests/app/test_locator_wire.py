"""The `Locator` record nested in a hit crosses the resident socket intact, and the JSON users see keeps the flat
locator keys it had before the record existed (`cove search --json`, the sources of `cove ask --json`)."""
from __future__ import annotations

import json

from app.answer.answering import Source
from app.cli import hit_json
from app.answer.evidence import Evidence
from app.resident.protocol import encode, rebuild, to_wire
from indexer.hits import SearchHit
from indexer.locator import Locator

HIT = SearchHit("c1", "d1", 3, "/docs/report.pdf", "Report", "email", "Lamp cleaned on Tuesdays.", 0.5, 0.7,
                where=Locator(page=4, section="Care › Lamp", line_start=10, line_end=12, part="report.pdf"),
                sender="a@example.org", date="2024-05-01", subject="Lamp")


def test_a_nested_locator_round_trips_over_the_wire():
    source = Source(n=1, hit=HIT, cited=True, evidence=(Evidence("Lamp cleaned on Tuesdays.", 0, 25, 4, 0.9),))
    back = rebuild(Source, json.loads(encode(to_wire(source))))
    assert back == source
    assert isinstance(back.hit.where, Locator) and back.hit.where.page == 4


def test_a_hit_from_an_older_server_without_a_locator_gets_the_empty_one():
    wire = {k: v for k, v in to_wire(HIT).items() if k != "where"}
    assert rebuild(SearchHit, wire).where == Locator()


def test_cli_json_keeps_the_flat_locator_keys():
    out = hit_json(HIT, 2)
    assert list(out)[:9] == ["n", "path", "title", "kind", "page", "section", "line_start", "line_end", "part"]
    assert (out["page"], out["section"], out["line_start"], out["line_end"], out["part"]) == (
        4, "Care › Lamp", 10, 12, "report.pdf")
    assert "where" not in out


def test_locator_label_and_columns():
    assert HIT.locator == "report.pdf, p. 4, Care › Lamp"  # lines are shown only where there is no page
    assert Locator(line_start=10, line_end=12).label == "lines 10–12"
    assert Locator(line_start=7).label == "lines 7–7"
    assert Locator().label == ""
    row = {"page": None, "section": None, "line_start": 3, "line_end": 5, "part": None, "text": "x"}
    assert Locator.from_columns(row) == Locator(line_start=3, line_end=5)  # None strings read back as ""
    assert Locator.from_columns(Locator(page=2, part="a").columns()) == Locator(page=2, part="a")
