"""The one event envelope, whatever carried the event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Event:
    id: str                 # stable: derived from the dedupe key
    type: str               # Zoom's event name, e.g. meeting.participant_joined
    source: str             # webhook | websocket | trigger
    occurred_at: str        # ISO 8601 UTC, from Zoom's event_ts
    account: str | None     # payload.account_id
    connection: str | None
    payload: dict = field(default_factory=dict)
    dedupe_key: str = ""    # the same for Zoom's retries of one event: a handler's idempotency key

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Event":
        return cls(**json.loads(text))


def event_id(dedupe_key: str) -> str:
    """An event's id, derived from its dedupe key: the same event gets the same id from any source."""
    return "evt_" + dedupe_key[:24]


def from_webhook(body: dict, *, source: str = "webhook", connection: str | None = None) -> Event:
    """A Zoom webhook (or WebSocket) message as an Event. Zoom resends an
    undelivered event with the same name, timestamp and payload: those make
    the dedupe key."""
    kind = str(body.get("event") or "")
    ts = body.get("event_ts")
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    canonical = json.dumps([kind, ts, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = hashlib.sha256(canonical.encode()).hexdigest()
    when = datetime.fromtimestamp(ts / 1000, tz=timezone.utc) if isinstance(ts, (int, float)) and ts > 0 \
        else datetime.now(timezone.utc)
    account = payload.get("account_id") if isinstance(payload.get("account_id"), str) else None
    return Event(id=event_id(key), type=kind, source=source, occurred_at=when.isoformat().replace("+00:00", "Z"),
                 account=account, connection=connection, payload=payload, dedupe_key=key)
