"""Zoom events for agents: one envelope for the three sources (signed
webhooks, Zoom's event WebSocket, the polling triggers of
:mod:`zoom_actions.triggers`), a durable log, and handlers delivered at
least once (and sinks: Standard Webhooks forwarding, JSON Lines).

    from zoom_actions.events import Events
    events = Events()                       # the log ZOOM_ACTIONS_STORE says: SQLite beside it, or Redis
    @events.on("meeting.participant_joined")
    def joined(event): ...                  # event.dedupe_key makes it exactly-once
    app = events.webhook_app(secret_tokens=["..."])   # Starlette; `zoom-actions events serve`
    sub = WebSocketSubscription("SUBSCRIPTION_ID", events, token=...)   # Zoom's event WebSocket
    events.serve_forever()                  # a worker; on Redis, as many as you like share the work
"""

from .envelope import Event, from_webhook
from .log import EventLog
from .bus import Events

__all__ = ["Event", "EventLog", "Events", "RedisEventLog", "WebSocketSubscription", "from_webhook"]


def __getattr__(name: str):
    """The WebSocket client and the Redis log load on first use: neither is needed to receive webhooks."""
    if name == "WebSocketSubscription":
        from .websocket import WebSocketSubscription
        return WebSocketSubscription
    if name == "RedisEventLog":
        from .redis_log import RedisEventLog
        return RedisEventLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
