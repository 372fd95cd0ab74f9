"""One poll per interval, however many workers share the store.

Time is cut into windows of one interval each, aligned on the epoch, so
every worker computes the same window for the same moment. Before polling
a subscription in a window a worker claims the lease ``(subscription,
interval, window)`` with the store's atomic insert-if-absent (``add``:
SQLite ``INSERT OR IGNORE``, Redis ``HSETNX``): one worker wins, the others
skip that window.

A lease is kept one more interval and a minute after its window ends (so a
worker whose clock lags by less than that still finds it), then swept away;
the times are the triggers' clock, so a test's clock drives them too.
"""

from __future__ import annotations

import math

NAMESPACE = "trigger_leases"
GRACE_S = 60.0


def window(now: float, interval_s: float) -> int:
    """The index of the window holding ``now``."""
    return math.floor(now / interval_s)


class Leases:
    def __init__(self, store) -> None:
        self.store = store

    def claim(self, subscription: str, interval_s: float, index: int, holder: str) -> bool:
        """True for the one caller that gets this window of this subscription."""
        expires = (index + 2) * interval_s + GRACE_S
        return self.store.add(NAMESPACE, f"{subscription}:{interval_s!r}:{index}",
                              {"holder": holder, "expires_at": expires})

    def sweep(self, now: float) -> int:
        """Forget the leases whose time is over; how many went."""
        gone = 0
        for key, lease in self.store.items(NAMESPACE):
            if float(lease.get("expires_at") or 0) <= now:
                gone += self.store.delete(NAMESPACE, key)
        return gone
