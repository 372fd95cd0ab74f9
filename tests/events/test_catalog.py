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
