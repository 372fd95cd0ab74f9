"""Typed event payloads: a model for every event type, generated from the event catalog, that accepts
a body shaped as its schema says and refuses one that is not."""

from __future__ import annotations

import importlib
import os

import pytest

from zoom_actions.codegen.models import event_class_name, module_name
from zoom_actions.events import from_webhook
from zoom_actions.events.catalog import load_events
from zoom_actions.events.models import NoEventModel, model_for, parse
from zoom_actions.sandbox.synth import synthesize


@pytest.fixture(scope="module")
def known(catalog):
    events = load_events(catalog.directory)
    try:
        importlib.import_module("zoom_actions.models.webhooks.meetings")
    except ModuleNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("typed event models are missing: `make generate` runs `zoom-actions generate --models`")
        pytest.skip("typed models not generated")
    return events


def test_every_event_type_has_a_model(known):
    missing = [n for n, e in known.items()
               if not hasattr(importlib.import_module(f"zoom_actions.models.webhooks.{module_name(e['product'])}"),
                              event_class_name(n))]
    assert missing == []


def test_a_body_shaped_as_its_schema_parses_for_every_meetings_event(known):
    for name, e in known.items():
        if e["product"] != "meetings":
            continue
        body = synthesize(e["payload_schema"], seed=name)
        body["event"] = name
        model = model_for(name).model_validate(body)
        assert model.event == name


def test_parse_an_envelope_gives_typed_fields(known):
    body = {"event": "meeting.participant_joined", "event_ts": 1767225600000,
            "payload": {"account_id": "acc1", "object": {
                "id": "85746065432", "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "h1", "topic": "Sync",
                "type": 2, "start_time": "2026-01-01T00:00:00Z", "timezone": "UTC", "duration": 30,
                "participant": {"user_id": "16778240", "user_name": "Ada", "id": "u1",
                                "participant_uuid": "p1", "join_time": "2026-01-01T00:01:00Z",
                                "email": "ada@example.com", "participant_user_id": "u1"}}}}
    typed = parse(from_webhook(body))
    assert typed.payload.object.participant.user_name == "Ada"
    assert typed.event_ts == 1767225600000


def test_a_payload_that_contradicts_its_schema_is_refused(known):
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        parse({"event": "meeting.participant_joined", "event_ts": "not a number", "payload": {}})


def test_an_unknown_event_type_names_the_closest(known):
    with pytest.raises(NoEventModel, match="meeting.participant_joined"):
        model_for("meeting.participant_joind")
