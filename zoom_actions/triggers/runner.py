"""Polling triggers: subscriptions, their schedule, and what a poll does.

    from zoom_actions import Toolkit
    from zoom_actions.events import Events
    from zoom_actions.triggers import Triggers

    events = Events()
    @events.on("ZOOM_NEW_MEETING_CREATED_TRIGGER")
    def created(event): ...                 # event.payload: {"event_type", "meeting"}

    triggers = Triggers(Toolkit(), events)  # snapshots and leases in ZOOM_ACTIONS_STORE
    triggers.subscribe("ZOOM_NEW_MEETING_CREATED_TRIGGER", {"user_id": "me", "interval": 5})
    triggers.run_forever(stop)              # polls what is due, then delivers to the handlers

A poll executes the trigger's catalog actions through the Toolkit (so its
rate limiter, retries and hooks apply, and every page is read), compares
the answer with the snapshot kept in the store and appends one
:class:`~zoom_actions.events.Event` per finding to the event log, then
keeps the new snapshot. In that order: a process killed in between finds
the same change again on restart, under the same dedupe key, which the log
refuses a second time; so a restart neither loses nor repeats an event.

The first poll of a subscription records a baseline and emits nothing: what
already exists when a trigger is set up is not news. A failed poll (an
error envelope) emits nothing, keeps the previous snapshot and is reported
in its :class:`PollResult`, never raised.

Subscriptions live in the object that made them (register them at start-up,
as event handlers are); a subscription's id comes from its trigger and
configuration (``interval`` aside), so every worker and every restart that
subscribes the same thing shares one snapshot. ``poll_due`` polls each
subscription once per interval window, across every worker on the store
(:mod:`.leases`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..events.envelope import Event, event_id
from ..redact import scrub
from . import detect
from .config import find, validate
from .definitions import Trigger
from .leases import Leases, window

log = logging.getLogger("zoom_actions")

NAMESPACE = "triggers"


@dataclass
class Subscription:
    id: str
    trigger: Trigger
    config: dict                 # validated, defaults filled in (interval included)
    interval_s: float
    attempted: int | None = None  # the last window this process tried (polled, or found leased)


@dataclass
class PollResult:
    subscription: str
    slug: str
    ok: bool
    error: str | None = None
    baseline: bool = False       # the first poll: the snapshot was recorded, nothing emitted
    absent: bool = False         # Zoom says there is nothing yet (no recording, no summary, not ended)
    events: list[Event] = field(default_factory=list)   # the events appended to the log (duplicates left out)


class Triggers:
    """Polling triggers over a Toolkit, emitting into an :class:`~zoom_actions.events.Events` log.

    ``store``: a store, its URL, or None for ``ZOOM_ACTIONS_STORE`` (SQLite by default; Redis shares
    snapshots and leases between hosts). ``clock``: epoch seconds (windows, event times); tests pass
    their own.
    """

    def __init__(self, toolkit, events, store: Any = None, *, clock: Callable[[], float] = time.time) -> None:
        from ..store import open_store
        self.toolkit, self.events, self.clock = toolkit, events, clock
        self._owns_store = store is None or isinstance(store, (str, os.PathLike))
        self.store = open_store(store) if self._owns_store else store
        self.leases = Leases(self.store)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._subs: dict[str, Subscription] = {}

    # --- subscriptions ----------------------------------------------------------------

    def subscribe(self, slug: str, config: dict | None = None) -> str:
        """Watch ``slug`` with ``config``; the subscription's id. The same trigger and configuration
        give the same id (a different ``interval`` reschedules it). Raises TriggerConfigError."""
        trigger = find(slug)
        clean = validate(trigger, config)
        watched = {k: v for k, v in clean.items() if k != "interval"}
        sub_id = "trg_" + detect.digest([trigger.slug, watched])[:20]
        interval_s = float(clean["interval"]) * 60.0
        old = self._subs.get(sub_id)
        kept = old.attempted if old is not None and old.interval_s == interval_s else None
        self._subs[sub_id] = Subscription(sub_id, trigger, clean, interval_s, kept)
        return sub_id

    def unsubscribe(self, sub_id: str) -> bool:
        """Stop polling it here (its snapshot stays, for a later subscribe)."""
        return self._subs.pop(sub_id, None) is not None

    def subscriptions(self) -> list[Subscription]:
        return list(self._subs.values())

    # --- polling ----------------------------------------------------------------------

    def poll_due(self) -> list[PollResult]:
        """Poll each subscription whose interval window has begun and that no worker has polled in it."""
        now = self.clock()
        results, claimed = [], False
        for sub in list(self._subs.values()):
            index = window(now, sub.interval_s)
            if sub.attempted is not None and index <= sub.attempted:
                continue
            sub.attempted = index
            try:
                won = self.leases.claim(sub.id, sub.interval_s, index, self.holder)
            except Exception as exc:  # noqa: BLE001 - the store is down: reported, tried again next window
                results.append(self._failed(sub, exc))
                continue
            if won:
                claimed = True
                results.append(self._poll(sub))
        if claimed:
            try:
                self.leases.sweep(now)
            except Exception as exc:  # noqa: BLE001 - old leases wait for the next sweep
                log.warning("trigger leases not swept: %s", scrub(str(exc)))
        return results

    def poll(self, sub_id: str) -> PollResult:
        """Poll one subscription now, whatever its schedule (no lease: ``triggers run --once``)."""
        if sub_id not in self._subs:
            raise KeyError(f"no subscription {sub_id!r} here: subscribe() it first")
        return self._poll(self._subs[sub_id])

    def next_due(self) -> float:
        """When (on the clock) the next window of some subscription begins."""
        now = self.clock()
        return min((now if s.attempted is None else (s.attempted + 1) * s.interval_s for s in self._subs.values()),
                   default=now + 60.0)

    def run_forever(self, stop: threading.Event, *, on_result: Callable[[PollResult], Any] | None = None,
                    deliver: bool = True, tick: float = 1.0) -> None:
        """Poll what is due until ``stop`` is set; after each round, run the event handlers
        (``deliver``). Waits at most ``tick`` seconds between rounds."""
        while not stop.is_set():
            for result in self.poll_due():
                if on_result is not None:
                    on_result(result)
            if deliver:
                self.events.run_pending()
            stop.wait(max(0.0, min(tick, self.next_due() - self.clock())))

    # --- one poll ---------------------------------------------------------------------

    def _poll(self, sub: Subscription) -> PollResult:
        result = PollResult(sub.id, sub.trigger.slug, ok=False)
        try:
            self._poll_into(sub, result)
        except Exception as exc:  # noqa: BLE001 - a poll's failure is reported, never raised
            return self._failed(sub, exc, result)
        if result.error:
            log.warning("trigger %s (%s) poll failed: %s", sub.id, sub.trigger.slug, result.error)
        return result

    def _failed(self, sub: Subscription, exc: Exception, result: PollResult | None = None) -> PollResult:
        result = result or PollResult(sub.id, sub.trigger.slug, ok=False)
        result.ok, result.error = False, scrub(f"{type(exc).__name__}: {exc}")
        log.warning("trigger %s (%s) poll failed: %s", sub.id, sub.trigger.slug, result.error)
        return result

    def _poll_into(self, sub: Subscription, result: PollResult) -> None:
        t, now = sub.trigger, self.clock()
        when = datetime.fromtimestamp(now, tz=timezone.utc)
        observed, result.error, result.absent = self._observe(t, sub.config, when)
        if result.error:
            return
        state = self.store.get(NAMESPACE, sub.id)
        record = {"slug": t.slug, "config": sub.config, "polled_at": now}
        if state is None or "snapshot" not in state:
            self.store.put(NAMESPACE, sub.id, {**record, "rev": 1, "snapshot": detect.snapshot_of(t, observed)})
            result.ok = result.baseline = True
            return
        snapshot, found = detect.compare(t, state["snapshot"], observed)
        findings = []
        for key, item in found:
            if t.kind == "new":
                payload, result.error = self._item_payload(t, item)
                if result.error:
                    return
                findings.append((["item", key], payload))
            else:
                findings.append((["rev", state.get("rev", 1), key], item))
        stamp = when.isoformat().replace("+00:00", "Z")
        for parts, payload in findings:
            event = self._event(sub, parts, payload, stamp)
            if self.events.accept(event):
                result.events.append(event)
        rev = state.get("rev", 1) + (snapshot != state["snapshot"])
        self.store.put(NAMESPACE, sub.id, {**record, "rev": rev, "snapshot": snapshot})
        result.ok = True

    def _observe(self, t: Trigger, config: dict, when: datetime) -> tuple[Any, str | None, bool]:
        """What Zoom answers now: ``(observed, error, absent)``."""
        env = self.toolkit.execute(t.polls[0], t.params(config, when), paginate=t.paginate)
        if not env["successful"]:
            data = env.get("data")
            if t.absent_codes and isinstance(data, dict) and data.get("code") in t.absent_codes:
                return ([] if t.kind == "new" else None), None, True
            return None, env["error"], False
        data = env["data"] if isinstance(env["data"], dict) else {}
        if t.kind == "new":
            return [i for i in data.get(t.list_field) or () if isinstance(i, dict)], None, False
        return data, None, False

    def _item_payload(self, t: Trigger, item: dict) -> tuple[dict | None, str | None]:
        if t.detail is not None:
            name, params = t.detail(item)
            env = self.toolkit.execute(name, params)
            if not env["successful"]:
                return None, env["error"]
            item = env["data"]
        return detect.item_payload(t, item), None

    def _event(self, sub: Subscription, parts: list, payload: dict, stamp: str) -> Event:
        key = detect.digest([sub.id, *parts])
        return Event(id=event_id(key), type=sub.trigger.slug, source="trigger", occurred_at=stamp, account=None,
                     connection=getattr(self.toolkit, "connection", None), payload=payload, dedupe_key=key)

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "Triggers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
