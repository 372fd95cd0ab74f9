"""The event catalog built from Zoom's 26 events documents (both shapes)."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

from zoom_actions.events.catalog import build_events, load_events


def test_every_event_type_is_in_the_catalog(spec_dir, catalog):
    built = build_events(spec_dir)
    assert built["count"] == 582   # ../shared/zoom-openapi/README.md: 582 event types in 26 documents
    events = load_events(catalog.directory)
    assert set(events) == set(built["events"])
    products = {e["product"] for e in events.values()}
    assert {"meetings", "phone", "contact-center", "team-chat", "users"} <= products   # both shapes
    joined = events["meeting.participant_joined"]
    assert "meeting:read:participant" in joined["scopes"]["granular"] and "meeting:read" in joined["scopes"]["classic"]
    payload = joined["payload_schema"]["properties"]["payload"]["properties"]["object"]["properties"]
    assert "participant" in payload
    for event in events.values():
        jsonschema.Draft202012Validator.check_schema(event["payload_schema"])


def test_events_list_and_show(catalog):
    out = subprocess.run([sys.executable, "-m", "zoom_actions", "events", "list", "--product", "phone"],
                         capture_output=True, text=True).stdout.splitlines()
    assert len(out) == 70 and all("\tphone\t" in line for line in out)
    shown = subprocess.run([sys.executable, "-m", "zoom_actions", "events", "show", "recording.completed"],
                           capture_output=True, text=True)
    assert json.loads(shown.stdout)["name"] == "recording.completed"
    bad = subprocess.run([sys.executable, "-m", "zoom_actions", "events", "show", "recording.complete"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "did you mean recording.completed" in bad.stderr


def test_the_overlay_corrects_payload_schemas_zoom_contradicts(spec_dir, tmp_path):
    import copy
    import pytest
    from zoom_actions.codegen import sources
    from zoom_actions.events.catalog import EventOverlayError, apply_events_overlay
    events = build_events(spec_dir)["events"]

    def validate(name: str, body: dict) -> None:
        jsonschema.Draft202012Validator(events[name]["payload_schema"],
                                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(body)
    updated = {"event": "meeting.updated", "event_ts": 1, "payload": {
        "account_id": "a", "operator": "o@example.com", "operator_id": "o", "time_stamp": 1,
        "object": {"id": 1, "recurrence": {"type": 2, "weekly_days": "2,4"}, "settings": {"jbh_time": 15}},
        "old_object": {"id": 1, "recurrence": {"type": 2, "weekly_days": "3"}, "settings": {"jbh_time": 15}}}}
    validate("meeting.updated", updated)
    bad = copy.deepcopy(updated)
    bad["payload"]["object"]["recurrence"]["weekly_days"] = "2,9"
    with pytest.raises(jsonschema.ValidationError):
        validate("meeting.updated", bad)
    files = events["recording.completed"]["payload_schema"]["properties"]["payload"]["properties"]["object"][
        "properties"]["recording_files"]["items"]["properties"]["recording_type"]
    assert "audio_transcript" in files["enum"] and "audio_transcript" in files["description"]
    guest = events["meeting.participant_joined"]["payload_schema"]["properties"]["payload"]["properties"]["object"][
        "properties"]["participant"]["properties"]["email"]
    assert "format" not in guest
    # a patch that no longer finds its target is an error, not silence
    stale = json.loads((sources.SPEC_DIR / "events_overlay.json").read_text())
    stale["patches"][0]["pointer"] = "/properties/payload/properties/nowhere"
    (tmp_path / "events_overlay.json").write_text(json.dumps(stale))
    with pytest.raises(EventOverlayError, match="finds nothing"):
        apply_events_overlay(build_events(spec_dir, spec_dir=sources.SPEC_DIR)["events"], tmp_path)


def test_an_events_overlay_that_does_not_fit_is_a_note_unless_strict(spec_dir, tmp_path):
    import shutil
    import pytest
    from zoom_actions.codegen import sources
    from zoom_actions.events.catalog import EventOverlayError
    spec = tmp_path / "spec"
    shutil.copytree(sources.SPEC_DIR, spec)
    overlay = json.loads((spec / "events_overlay.json").read_text())
    overlay["patches"][0]["events"] = ["no.such_event"]
    (spec / "events_overlay.json").write_text(json.dumps(overlay))
    notes = []
    built = build_events(spec_dir, notes, spec)["events"]
    assert any("finds nothing" in n.message for n in notes)
    guest = built["meeting.participant_joined"]["payload_schema"]["properties"]["payload"]["properties"]["object"][
        "properties"]["participant"]["properties"]["email"]
    assert "format" not in guest            # the patches that fit still applied
    with pytest.raises(EventOverlayError):
        build_events(spec_dir, [], spec, strict=True)
