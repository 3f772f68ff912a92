"""Debrief reports: JSON against the committed schema, Markdown and HTML against snapshots.

The levels come from a fixed stand-in scorer so that these snapshots test the
report, not the rubric; regenerate them deliberately with
``PMSIM_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_report.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from simulator.debrief.models import Debrief, Rating, Report
from simulator.debrief.report import build_report, schema
from simulator.formats.rubric import ELEMENTS, ROUTINE_ELEMENT, SUB_ELEMENTS
from simulator.render.html import render_html
from simulator.render.markdown import render_markdown
from simulator.session.state import replay, validate_payload
from simulator.session.store import Event

SNAPSHOTS = Path(__file__).parent / "report_snapshots"
UPDATE = os.environ.get("PMSIM_UPDATE_SNAPSHOTS") == "1"
R = 20
IDS = ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3"]
LEVELS = ["Inadequate", "Emerging", "Strong", "Exemplary"]


def fixed_scorer(scenario, state, *, upto_meeting=None, played=None) -> Debrief:
    """Levels pinned by position, so that the snapshots test the report, not the rubric."""
    elements = [
        Rating(id=i, element=ELEMENTS[i[0]], name=SUB_ELEMENTS[i], level=LEVELS[(k * 3) % 4],
               points=1.0, max_points=2.0, evidence=[f"Evidence for {i}."],
               missed=[] if k % 3 else [f"A missed chance in {i} | with a pipe."])
        for k, i in enumerate(IDS)
    ]
    routine = [Rating(id="followup", element=ROUTINE_ELEMENT,
                      name="Follow-up on each earlier commitment", level="Emerging",
                      points=0, max_points=1.0, evidence=[], missed=["Not followed up."])]
    return Debrief(upto_meeting=upto_meeting, elements=elements, routine=routine)


def as_json(report: Report) -> dict[str, Any]:
    """The report as `pmsim report --format json` prints it, read back."""
    return json.loads(json.dumps(report.model_dump(mode="json")))


def session_state(*events: tuple[str, str, dict[str, Any]], sid: str = "snap0001"):
    created = {"scenario": "hudson", "scenario_sha256": "ab" * 32, "seed": 1,
               "title": "Room 3 <pair>", "participants": {"state": "Ada", "district": "Ben"}}
    log = [Event(sid, 1, "session.created", "system", created, "t")]
    for seq, (kind, role, payload) in enumerate(events, start=2):
        log.append(Event(sid, seq, kind, role, validate_payload(kind, payload), "t"))
    return replay(log)


MEETING_1 = (
    ("view.opened", "state", {"view": "reading/hudson-ms/strand", "quarter": "Q2",
                                  "filters": {"group": "el"}}),
    ("view.opened", "district", {"view": "reading/hudson-ms/all", "quarter": "Q2"}),
    ("decision.made", "district",
     {"meeting": "meeting-1", "strategy": "balanced-literacy", "action": "adopt"}),
    ("meeting.closed", "state", {"meeting": "meeting-1"}),
    ("poll.answered", "state", {"meeting": "meeting-1", "role": "state",
                                "went_well": "We agreed a reading target.",
                                "improve": "Look at the strands sooner."}),
)
MEETING_2 = (
    ("view.opened", "state", {"view": "implementation/hudson-ms/implementation",
                              "quarter": "Q3"}),
    ("decision.made", "district",
     {"meeting": "meeting-2", "strategy": "structured-literacy", "action": "adopt"}),
    ("meeting.closed", "state", {"meeting": "meeting-2"}),
    ("poll.answered", "district", {"meeting": "meeting-2", "role": "district",
                                   "went_well": "Owners & dates for every step.",
                                   "improve": "Bring implementation data."}),
    ("takehome.answered", "state", {"role": "state", "steps": [
        "Pull strand-level benchmark data for every priority school.",
        "Open each stocktake with last meeting's commitments.",
        "Agree consequences for missed targets <in writing>."]}),
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("report-cache")


@pytest.fixture(scope="module")
def final_report(hudson, cache):
    state = session_state(*MEETING_1, *MEETING_2)
    return build_report(hudson, state, replications=R, cache_dir=cache, scorer=fixed_scorer)


@pytest.fixture(scope="module")
def meeting_1_report(hudson, cache):
    state = session_state(*MEETING_1)
    return build_report(hudson, state, replications=R, cache_dir=cache, scorer=fixed_scorer)


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {path}; run with PMSIM_UPDATE_SNAPSHOTS=1 to write it")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if on purpose, rerun with PMSIM_UPDATE_SNAPSHOTS=1"
    )


def test_the_committed_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("which", ["final_report", "meeting_1_report"])
def test_reports_match_the_schema(which, request):
    report = as_json(request.getfixturevalue(which))
    jsonschema.Draft202012Validator(schema()).validate(report)
    assert [e["id"] for e in report["elements"]] == IDS
    assert all(e["level"] in LEVELS for e in report["elements"])


def test_the_schema_rejects_a_reveal_in_a_non_final_report(meeting_1_report, final_report):
    leaked = {**as_json(meeting_1_report), "reveal": as_json(final_report)["reveal"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema()).validate(leaked)


def test_a_report_reads_back_from_its_own_json(final_report, meeting_1_report):
    for report in (final_report, meeting_1_report):
        again = Report.model_validate(as_json(report))
        assert again == report and as_json(again) == as_json(report)
    assert "reveal" not in as_json(meeting_1_report)


def _objects(node: dict[str, Any], path: str = "report"):
    """Every object of the committed schema that names its keys, with where it is."""
    if "properties" in node:
        yield path, node
        for key, sub in node["properties"].items():
            yield from _objects(sub, f"{path}.{key}")
    for sub in node.get("oneOf", []):
        yield from _objects(sub, path)
    if "items" in node:
        yield from _objects(node["items"], f"{path}[]")


def _model_at(path: str) -> type[BaseModel]:
    """The model whose JSON sits at ``path`` (``report.outcomes.plans[].growth[]``…)."""
    model: type[BaseModel] = Report
    for key in path.split(".")[1:]:
        annotation = model.model_fields[key.removesuffix("[]")].annotation
        (found,) = {t for t in _types(annotation) if isinstance(t, type)
                    and issubclass(t, BaseModel)}
        model = found
    return model


def _types(annotation: Any):
    yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _types(arg)


def test_the_models_have_the_committed_schemas_shape():
    """Each object of report.schema.json is one model with the same keys; a closed object
    requires exactly the model's required fields, an open one no more of them."""
    checked = 0
    for path, node in _objects(schema()):
        fields = _model_at(path).model_fields
        assert set(fields) == set(node["properties"]), path
        required = {k for k, f in fields.items() if f.is_required()}
        if node.get("additionalProperties") is False:
            assert set(node.get("required", [])) == required, path
        else:
            assert set(node.get("required", [])) <= required, path
        checked += 1
    assert checked == 48  # every object of the schema, none skipped


def test_the_final_report_holds_everything_the_debrief_needs(final_report, hudson):
    r = as_json(final_report)
    assert (r["scenario"], r["session"], r["seed"], r["final"]) == ("hudson", "snap0001", 1, True)
    assert r["meeting"]["id"] == "meeting-2"
    assert [(p["role"], p["name"]) for p in r["participants"]] == [("state", "Ada"),
                                                                  ("district", "Ben")]
    assert [p["name"] for p in r["poll"]] == ["Ada", "Ben"]
    assert len(r["take_home"][0]["steps"]) == 3
    assert {p["id"] for p in r["outcomes"]["plans"]} == {"played", "business_as_usual", "best"}
    assert [t["id"] for t in r["reveal"]] == [t.id for t in hudson.hidden_truths]
    strand = r["reveal"][0]["evidence"][0]
    assert strand["looked"]["opened"] and strand["looked"]["first"]["role"] == \
        "State Turnaround Lead"


def test_a_meeting_1_report_keeps_the_secrets(meeting_1_report, hudson):
    r = as_json(meeting_1_report)
    assert not r["final"] and "reveal" not in r
    assert r["meeting"]["id"] == "meeting-1"
    assert [p["id"] for p in r["outcomes"]["plans"]] == ["played"]
    texts = [json.dumps(r, ensure_ascii=False), render_markdown(meeting_1_report),
             render_html(meeting_1_report)]
    secrets = [t.title for t in hudson.hidden_truths] + [t.explanation for t in
                                                          hudson.hidden_truths]
    secrets += [n.name for n in hudson.needs] + [hudson.roles.state.private,
                                                 hudson.roles.district.private]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_a_report_before_any_decision_has_no_outcomes(hudson):
    r = build_report(hudson, session_state(), replications=R, scorer=fixed_scorer)
    jsonschema.Draft202012Validator(schema()).validate(as_json(r))
    assert r.outcomes is None and "reveal" not in as_json(r)
    assert "outcomes follow the first meeting" in render_markdown(r)


def test_reports_are_deterministic(final_report, hudson, cache):
    again = build_report(hudson, session_state(*MEETING_1, *MEETING_2), replications=R,
                         cache_dir=cache, scorer=fixed_scorer)
    assert again == final_report
    assert render_html(again) == render_html(final_report)


def test_markdown_snapshot_final(final_report):
    _check_snapshot("hudson-final.md", render_markdown(final_report))


def test_markdown_snapshot_meeting_1(meeting_1_report):
    _check_snapshot("hudson-meeting-1.md", render_markdown(meeting_1_report))


def test_html_snapshot_final(final_report):
    _check_snapshot("hudson-final.html", render_html(final_report))


def test_the_html_page_is_self_contained_and_printable(final_report):
    page = render_html(final_report)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "@media print" in page and "break-before: page" in page
    assert final_report.outcomes is not None
    assert page.count("<svg") == 1 + len(final_report.outcomes.plans[0].growth)
    assert "Room 3 &lt;pair&gt;" in page and "<pair>" not in page  # escaped
    assert "&lt;in writing&gt;" in page
