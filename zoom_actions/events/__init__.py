"""Zoom events for agents: one envelope for webhooks (and, later, WebSocket
and polling triggers), a durable log, and handlers delivered at least once.

    from zoom_actions.events import Events
    events = Events()                       # the log in ZOOM_ACTIONS_STORE's SQLite file
    @events.on("meeting.participant_joined")
    def joined(event): ...                  # event.dedupe_key makes it exactly-once
    app = events.webhook_app(secret_tokens=["..."])   # Starlette; `zoom-actions events serve`
"""

from .envelope import Event, from_webhook
from .log import EventLog
from .bus import Events

__all__ = ["Event", "EventLog", "Events", "from_webhook"]
