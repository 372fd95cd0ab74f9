"""Polling triggers: Composio's 11 Zoom triggers (same slugs, configuration
fields and payloads), built on the action catalog and emitting into the
event log, so ``@events.on(SLUG)`` handlers receive them at least once.

    triggers = Triggers(toolkit, events)          # store: ZOOM_ACTIONS_STORE
    sub = triggers.subscribe("ZOOM_MEETING_DETAILS_CHANGED_TRIGGER", {"meeting_id": 85746065432})
    triggers.poll_due()                           # or run_forever(stop_event)

The first poll of a subscription records a baseline and emits nothing.
:mod:`.definitions` holds the triggers as data, :mod:`.detect` compares
polls, :mod:`.leases` keeps workers to one poll per interval,
:mod:`.runner` polls; ``zoom-actions triggers list|run`` is the CLI.
"""

from .config import TriggerConfigError
from .definitions import TRIGGERS, Field, Trigger
from .runner import PollResult, Subscription, Triggers

__all__ = ["TRIGGERS", "Field", "PollResult", "Subscription", "Trigger", "TriggerConfigError", "Triggers"]
