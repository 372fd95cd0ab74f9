"""Typed payloads: the Pydantic model of an event type, generated from the
event catalog by ``zoom-actions generate --models`` (module
``zoom_actions.models.webhooks.<product>``, class named after the event:
``meeting.participant_joined`` -> ``MeetingParticipantJoined``).

    from zoom_actions.events.models import parse
    body = parse(event)                 # the whole webhook body, validated
    body.payload.object.participant.user_name

A model covers the body Zoom sends (``event``, ``event_ts``, ``payload``);
:func:`parse` rebuilds that body from an :class:`~.envelope.Event`, whatever
carried it.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..codegen.models import WEBHOOKS, event_class_name, module_name
from .envelope import Event


class NoEventModel(LookupError):
    """The event type is unknown, or its models were not generated; the message says which and what to run."""


@lru_cache(maxsize=None)
def _product_of(event_type: str) -> str:
    from ..catalog import load_catalog
    from .catalog import load_events
    known = load_events(load_catalog().directory)
    if event_type not in known:
        from ..suggest import closest
        hint = closest(event_type, list(known))
        raise NoEventModel(f"no event type named {event_type!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    return known[event_type]["product"]


def model_for(event_type: str) -> type:
    """The Pydantic class of ``event_type``'s webhook body."""
    module = f"zoom_actions.models.{WEBHOOKS}.{module_name(_product_of(event_type))}"
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError:
        raise NoEventModel(f"typed event models are not generated ({module} is missing): run "
                           "`zoom-actions generate --models`") from None
    return getattr(mod, event_class_name(event_type))


def parse(event: Event | dict) -> Any:
    """The event as its typed model; pydantic's ValidationError when the payload does not fit the schema."""
    if isinstance(event, Event):
        ts = int(datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")).timestamp() * 1000)
        body = {"event": event.type, "event_ts": ts, "payload": event.payload}
    else:
        body = event
    return model_for(str(body.get("event"))).model_validate(body)
