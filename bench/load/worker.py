"""One load worker: a process with its own ``Toolkit`` on the shared Redis, making its calls.

Run by the harness as ``python -m bench.load.worker``: it reads its
configuration (one JSON line) from stdin, builds the Toolkit (a stored
Server-to-Server connection on the Redis store, so the token and the
limits are the account's, shared with every other worker), prints
``ready``, and starts on the harness's ``go`` line. Each label's calls run
in a thread of their own, so a slow label never holds up another. Every
call is written as one JSON line to the results file as soon as it
returns (flushed: a worker killed mid-run leaves what it did), and so is
every change of the shared limiter between Redis and its in-process
fallback. Before ``ready`` it warms up (each action's request built once,
then one read per thread: imports, the account's token, a connection per
thread), so that the run measures steady work.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from itertools import count

from .standin import SEED_MEETING

CONNECTION, USER = "zoom", "load"


class Recorder:
    def __init__(self, path: str) -> None:
        self._fh = open(path, "a", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: dict) -> None:
        line = json.dumps(record, separators=(",", ":"))
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def _plan(cfg: dict) -> dict[str, list[tuple[str, dict, str | None]]]:
    """Each thread group's calls: (action, parameters, idempotency marker)."""
    n, me, tag = cfg["counts"], cfg["user"], f"{cfg['run']}-w{cfg['index']}"
    creates = [("own", i) for i in range(n["create_own"])] + [("busy", i) for i in range(n["create_busy"])]
    # two of the worker's own meetings first, so that its updates have something to update
    creates = creates[:2] + sorted(creates[2:], key=lambda c: (c[1], c[0]))
    medium: list = []
    lists = [("ZOOM_LIST_MEETINGS", {"userId": me, "page_size": 30}, None)] * n["list"]
    for i in range(max(len(creates), len(lists))):
        if i < len(creates):
            who, k = creates[i]
            marker = f"{tag}-{who}{k}"
            medium.append(("ZOOM_CREATE_A_MEETING", {"userId": me if who == "own" else cfg["busy_user"],
                                                      "topic": marker, "type": 2, "duration": 30}, marker))
        if i < len(lists):
            medium.append(lists[i])
    heavy: list = []
    for i in range(max(n["report"], n["group"])):
        if i < n["group"]:
            heavy.append(("ZOOM_CREATE_A_CONTACT_GROUP", {"group_name": f"{tag}-g{i}"}, f"{tag}-g{i}"))
        if i < n["report"]:
            heavy.append(("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5}, None))
    # updates spread over the light calls, after the first fifth (the worker's first meetings exist by then)
    gets = [("ZOOM_GET_A_MEETING", {"meetingId": SEED_MEETING}, None)] * n["get"]
    updates = [("ZOOM_UPDATE_A_MEETING", {"agenda": f"update {i}"}, None) for i in range(n["update"])]
    light, every = gets[:len(gets) // 5], max(1, (len(gets) - len(gets) // 5) // max(1, len(updates)))
    for i, item in enumerate(gets[len(gets) // 5:]):
        light.append(item)
        if i % every == every - 1 and updates:
            light.append(updates.pop(0))
    light += updates
    return {
        "light": light,
        "medium": medium,
        "heavy": heavy,
        "ri": [("ZOOM_LIST_MEETINGS_METRICS", {"from": "2030-05-01", "to": "2030-05-02"}, None)] * n["ri"],
    }


def main() -> int:
    cfg = json.loads(sys.stdin.readline())
    from zoom_actions import Toolkit
    tk = Toolkit(base_url=cfg["base_url"], store=cfg["store"], connection=CONNECTION, user_id=USER,
                 account_plan=cfg["plan"], deadline=cfg["deadline"])
    out = Recorder(cfg["out"])
    plan = _plan(cfg)
    own_meetings: list[int] = []
    have_meeting = threading.Event()
    picks = count()
    state = {"degraded": False}
    state_lock = threading.Lock()

    def note_limiter() -> None:
        degraded = bool(getattr(tk.limiter, "degraded", False))
        with state_lock:
            if degraded != state["degraded"]:
                state["degraded"] = degraded
                out.write({"event": "degraded" if degraded else "shared", "t": time.time()})

    def call(name: str, params: dict, marker: str | None) -> None:
        t0 = time.time()
        env = tk.execute(name, params)
        t1 = time.time()
        out.write({"t0": t0, "t1": t1, "name": name, "ok": env["successful"], "error": env["error"],
                   "marker": marker})
        note_limiter()
        if (env["successful"] and name == "ZOOM_CREATE_A_MEETING" and params["userId"] == cfg["user"]
                and isinstance(env["data"], dict) and "id" in env["data"]):
            own_meetings.append(env["data"]["id"])
            have_meeting.set()

    def run(calls: list) -> None:
        for name, params, marker in calls:
            if name == "ZOOM_UPDATE_A_MEETING":   # one of the worker's own meetings
                if not have_meeting.wait(cfg["deadline"]):
                    now = time.time()
                    out.write({"t0": now, "t1": now, "name": name, "ok": False, "marker": None,
                               "error": "load worker: no meeting of its own to update was ever created"})
                    continue
                params = {**params, "meetingId": own_meetings[next(picks) % len(own_meetings)]}
            call(name, params, marker)

    # warm-up, before the start: each action's request built once without sending it (its validators
    # compiled: a thread compiling one holds the interpreter lock while a sibling's slot comes due), then
    # one read per thread at once (imports, the account's token, fetched once for all workers, and a
    # connection per thread: one opened after a slot was taken makes that request late)
    first: dict[str, dict] = {}
    for calls in plan.values():
        for name, params, _ in calls:
            first.setdefault(name, {"meetingId": SEED_MEETING, **params} if name == "ZOOM_UPDATE_A_MEETING"
                             else params)
    for name, params in first.items():
        tk.dry_run_envelope(name, params)

    def warm(name: str, params: dict) -> None:
        env = tk.execute(name, params)
        out.write({"event": "warmup", "t": time.time(), "ok": env["successful"], "error": env["error"]})
    meeting = ("ZOOM_GET_A_MEETING", {"meetingId": SEED_MEETING})
    reads = [meeting, meeting, ("ZOOM_LIST_MEETINGS", {"userId": cfg["user"]}),
             ("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})]
    warmers = [threading.Thread(target=warm, args=read) for read in reads[:sum(1 for c in plan.values() if c)]]
    for t in warmers:
        t.start()
    for t in warmers:
        t.join()
    threads = [threading.Thread(target=run, args=(calls,), name=group, daemon=True)
               for group, calls in plan.items() if calls]
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.write({"event": "done", "t": time.time()})
    out.close()
    tk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
