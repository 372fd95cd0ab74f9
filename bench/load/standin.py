"""A loopback Zoom stand-in that enforces Zoom's limits and counts what it receives.

Per account and rate-limit label: a sliding window of the plan's
per-second limit (a minute for RESOURCE-INTENSIVE), the daily caps, and
100 meeting creates and updates per user per day; past any of them it
answers 429 with Zoom's body (``{"code": 429, "message": ...}``) and
headers (``X-RateLimit-Category``, ``-Type``, ``-Limit``, ``-Remaining``,
``Retry-After``: seconds for a per-second limit, an ISO-8601 time for a
daily one). Answers on a label with a daily cap carry that cap's
``X-RateLimit-*`` too, as Zoom's do.

``POST /oauth/token`` (``grant_type=account_credentials``, HTTP Basic)
issues a token and invalidates the one before it, as Zoom does; every
fetch is counted. ``/_standin/*`` (with the control key) revokes the
current token, lets "another app" spend the account's budget, and returns
the counters: requests served and refused by label with their times,
token fetches, and every POST by its idempotency marker (a body field the
load's workers set uniquely per call), received and applied.

The routes are real catalog actions, found by method and path in the
catalog, so their labels are the catalog's. Run it as ``python -m
bench.load.standin`` (prints ``PORT <n>``), or in process with
:class:`StandInServer` (which serves any ASGI app). It binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import secrets
import socket
import sys
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zoom_actions.limiter import DAILY, PLANS, USER_CAP

# (method, path template, the body field that carries a POST's idempotency marker)
ACTIONS = [
    ("GET", "/meetings/{meetingId}", None),
    ("PATCH", "/meetings/{meetingId}", None),
    ("GET", "/users/{userId}/meetings", None),
    ("POST", "/users/{userId}/meetings", "topic"),
    ("GET", "/report/daily", None),
    ("POST", "/contacts/groups", "group_name"),
    ("GET", "/metrics/meetings", None),
]
SEED_MEETING = 85746065432
SEED_HOST = "seed@example.com"
CATEGORY = {"LIGHT": "Light", "MEDIUM": "Medium", "HEAVY": "Heavy", "RESOURCE-INTENSIVE": "Resource-intensive"}


def catalog_routes(catalog) -> list[tuple[str, str, str, str, str | None]]:
    """(name, method, path, label, marker field) of each stand-in route, from the catalog."""
    by_path = {}
    for name in catalog.operations():   # not the workflows: they have no single route
        op = catalog.get(name)["operation"]
        by_path.setdefault((op["method"].upper(), op["path"]), name)
    out = []
    for method, path, marker in ACTIONS:
        name = by_path[(method, path)]
        out.append((name, method, path, catalog.get(name).get("rate_limit") or "MEDIUM", marker))
    return out


def _midnight(now: float) -> float:
    return (math.floor(now / 86400) + 1) * 86400.0


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StandIn:
    """The state: one account, its token, its limits and the counters. Used from one event loop."""

    def __init__(self, catalog, *, plan: str = "pro", account_id: str, client_id: str, client_secret: str,
                 control_key: str, token_seconds: int = 3600) -> None:
        self.plan, self.account_id, self.client_id = plan, account_id, client_id
        self._secret, self.control_key, self.token_seconds = client_secret, control_key, token_seconds
        self.routes = catalog_routes(catalog)
        self.limits = PLANS[plan]
        self.daily = DAILY[plan]
        self.token: str | None = None
        self.token_expires = 0.0
        self.token_fetches = 0
        self.revocations = 0
        self.windows: dict[str, deque] = {label: deque() for label in self.limits}
        self.day_used: Counter = Counter()        # pool -> requests served today
        self.user_used: Counter = Counter()       # user -> meeting creates and updates today
        self.meetings: dict[int, str] = {SEED_MEETING: SEED_HOST}
        self._next_id = 90000000000
        self.served: dict[str, list[float]] = {label: [] for label in self.limits}
        self.refused: list[tuple[float, str, str]] = []           # (time, label, "QPS" | "Daily-limit")
        self.status: Counter = Counter()
        self.unauthorized = 0
        self.posts_received: Counter = Counter()                  # marker -> POSTs that arrived
        self.posts_applied: Counter = Counter()                   # marker -> POSTs that were carried out
        self.lags: list[tuple[float, float]] = []                 # (time, s the event loop was late), > 20 ms

    # --- OAuth ----------------------------------------------------------------------

    def issue(self, authorization: str, form: dict) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        if not secrets.compare_digest(authorization, expected):
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        if form.get("grant_type") != "account_credentials" or form.get("account_id") != self.account_id:
            return 400, {"reason": "Unsupported grant type or unknown account", "error": "invalid_request"}
        self.token_fetches += 1
        self.token = f"standin.{self.token_fetches}.{secrets.token_urlsafe(24)}"   # the previous one stops working
        self.token_expires = time.time() + self.token_seconds
        return 200, {"access_token": self.token, "token_type": "bearer", "expires_in": self.token_seconds,
                     "scope": "meeting:read:admin meeting:write:admin report:read:admin"}

    def authorized(self, header: str) -> bool:
        token = header[7:] if header.startswith("Bearer ") else ""
        return bool(self.token) and secrets.compare_digest(token, self.token) and time.time() < self.token_expires

    def revoke(self) -> None:
        self.token, self.revocations = None, self.revocations + 1

    # --- limits -----------------------------------------------------------------------

    def admit(self, label: str, user: str | None) -> tuple[int, dict, dict]:
        """(0, headers for a success, {}) or (429, headers, body)."""
        now = time.time()
        cat = CATEGORY[label]
        headers = {}
        pool = self.daily.get(label)
        if pool is not None:
            name, cap = pool
            if self.day_used[name] >= cap:
                return self._refuse(now, label, "Daily-limit", cap, _iso(_midnight(now)),
                                    "The account's daily limit for this kind of request is used up.")
        if user is not None and self.user_used[user] >= USER_CAP:
            return self._refuse(now, label, "Daily-limit", USER_CAP, _iso(_midnight(now)),
                                "This user's daily limit of meeting creates and updates is used up.")
        limit, window = self.limits[label]
        q = self.windows[label]
        while q and q[0] <= now - window:
            q.popleft()
        if len(q) >= limit:
            retry = max(1, math.ceil(q[0] + window - now))
            return self._refuse(now, label, "QPS", limit, str(retry), "Too many requests per second for this "
                                "kind of request; slow down.")
        q.append(now)
        self.served[label].append(now)
        if pool is not None:
            self.day_used[pool[0]] += 1
            headers = {"X-RateLimit-Category": cat, "X-RateLimit-Type": "Daily-limit",
                       "X-RateLimit-Limit": str(pool[1]),
                       "X-RateLimit-Remaining": str(pool[1] - self.day_used[pool[0]])}
        if user is not None:
            self.user_used[user] += 1
        return 0, headers, {}

    def _refuse(self, now: float, label: str, kind: str, limit: int, retry: str, message: str):
        self.refused.append((now, label, kind))
        return 429, {"X-RateLimit-Category": CATEGORY[label], "X-RateLimit-Type": kind, "X-RateLimit-Limit": str(limit),
                     "X-RateLimit-Remaining": "0", "Retry-After": retry}, {"code": 429, "message": message}

    def spend(self, label: str, n: int) -> None:
        """Another app on the account spends ``n`` of the daily pool ``label`` belongs to."""
        self.day_used[self.daily[label][0]] += n

    def burst(self, label: str) -> None:
        """Another app on the account fills ``label``'s window this instant."""
        q = self.windows[label]
        q.clear()
        q.extend([time.time()] * self.limits[label][0])

    # --- the actions ------------------------------------------------------------------

    def answer(self, method: str, path: str, params: dict, body) -> tuple[int, object]:
        if path == "/meetings/{meetingId}":
            mid = int(params["meetingId"]) if params["meetingId"].isdigit() else -1
            if mid not in self.meetings:
                return 404, {"code": 3001, "message": "Meeting does not exist."}
            if method == "PATCH":
                return 204, None
            return 200, {"id": mid, "host_id": self.meetings[mid], "topic": "stand-in", "type": 2}
        if path == "/users/{userId}/meetings" and method == "GET":
            return 200, {"page_size": 30, "total_records": 1, "next_page_token": "",
                         "meetings": [{"id": SEED_MEETING, "topic": "stand-in"}]}
        if path == "/users/{userId}/meetings":
            self._next_id += 1
            self.meetings[self._next_id] = params["userId"].lower()
            return 201, {"id": self._next_id, "host_id": params["userId"], "topic": (body or {}).get("topic")}
        if path == "/report/daily":
            return 200, {"year": 2030, "month": 5, "dates": []}
        if path == "/contacts/groups":
            return 201, None
        return 200, {"from": params.get("from"), "to": params.get("to"), "page_size": 30, "meetings": []}

    def cap_user(self, method: str, path: str, params: dict) -> str | None:
        if method == "POST" and path == "/users/{userId}/meetings":
            return params["userId"].lower()
        if method == "PATCH" and path == "/meetings/{meetingId}":
            mid = int(params["meetingId"]) if params["meetingId"].isdigit() else -1
            return self.meetings.get(mid)
        return None

    def stats(self) -> dict:
        return {"token_fetches": self.token_fetches, "revocations": self.revocations,
                "served": self.served, "refused": self.refused, "status": dict(self.status),
                "unauthorized": self.unauthorized, "posts_received": dict(self.posts_received),
                "posts_applied": dict(self.posts_applied), "day_used": dict(self.day_used),
                "user_used": dict(self.user_used), "lags": self.lags,
                "routes": [{"name": n, "method": m, "path": p, "label": lb} for n, m, p, lb, _ in self.routes]}


def build_app(state: StandIn) -> Starlette:
    def handler(method: str, path: str, label: str, marker_field: str | None):
        async def endpoint(request: Request) -> Response:
            if request.method != method:
                return JSONResponse({"code": 405, "message": "Method not allowed."}, 405)
            raw = await request.body()
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return JSONResponse({"code": 300, "message": "The request body is not JSON."}, 400)
            marker = body.get(marker_field) if marker_field and isinstance(body, dict) else None
            if method == "POST" and marker:
                state.posts_received[marker] += 1
            if not state.authorized(request.headers.get("authorization", "")):
                state.unauthorized += 1
                state.status[401] += 1
                return JSONResponse({"code": 124, "message": "Invalid access token."}, 401)
            params = dict(request.path_params)
            status, headers, refusal = state.admit(label, state.cap_user(method, path, params))
            if status == 429:
                state.status[429] += 1
                return JSONResponse(refusal, 429, headers=headers)
            params.update(request.query_params)
            status, data = state.answer(method, path, params, body)
            state.status[status] += 1
            if method == "POST" and marker and 200 <= status < 300:
                state.posts_applied[marker] += 1
            if data is None:
                return Response(status_code=status, headers=headers)
            return JSONResponse(data, status, headers=headers)
        return endpoint

    async def token(request: Request) -> Response:
        form = dict(await request.form())
        status, data = state.issue(request.headers.get("authorization", ""), form)
        return JSONResponse(data, status)

    def control(fn):
        async def endpoint(request: Request) -> Response:
            if not secrets.compare_digest(request.headers.get("x-standin-key", ""), state.control_key):
                return JSONResponse({"message": "forbidden"}, 403)
            return JSONResponse(await fn(request))
        return endpoint

    async def revoke(request: Request) -> dict:
        state.revoke()
        return {"revoked": True}

    async def spend(request: Request) -> dict:
        data = await request.json()
        state.spend(data["label"], int(data["n"]))
        return {"day_used": dict(state.day_used)}

    async def stats(request: Request) -> dict:
        return state.stats()

    by_path: dict[str, list] = {}
    for _, method, path, label, marker in state.routes:
        by_path.setdefault(path, []).append((method, label, marker))
    routes = [Route("/oauth/token", token, methods=["POST"]),
              Route("/_standin/revoke", control(revoke), methods=["POST"]),
              Route("/_standin/spend", control(spend), methods=["POST"]),
              Route("/_standin/stats", control(stats), methods=["GET"])]
    for path, entries in by_path.items():
        handlers = {m: handler(m, path, label, marker) for m, label, marker in entries}

        async def dispatch(request: Request, handlers=handlers) -> Response:
            h = handlers.get(request.method)
            if h is None:
                return JSONResponse({"code": 405, "message": "Method not allowed."}, 405)
            return await h(request)
        routes.append(Route("/v2" + path, dispatch, methods=list(handlers)))
    async def watch_lag():
        """How late the loop wakes: requests are timed when handled, so a late loop shifts their times."""
        import asyncio
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.01)
            lag = time.monotonic() - t - 0.01
            if lag > 0.02:
                state.lags.append((time.time(), lag))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        import asyncio
        task = asyncio.get_running_loop().create_task(watch_lag())
        yield
        task.cancel()
    return Starlette(routes=routes, lifespan=lifespan)


class StandInServer:
    """uvicorn serving an ASGI app (the stand-in's, or a test's) on 127.0.0.1, bound at construction."""

    def __init__(self, app, port: int = 0) -> None:
        import uvicorn
        # IPPROTO_TCP: asyncio turns Nagle off only on sockets that say they are TCP
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.socket.listen(1024)
        self.port = self.socket.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto",
                                timeout_keep_alive=30, server_header=False, timeout_graceful_shutdown=2,
                                limit_concurrency=2000)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._server.run(sockets=[self.socket])

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="zoom-standin", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the stand-in did not start")
            self._thread.join(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        self.socket.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load.standin", description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", default="pro", choices=sorted(PLANS))
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--account-id", required=True)
    p.add_argument("--client-id", required=True)
    args = p.parse_args(argv)
    # secrets arrive on stdin, one a line, never on the command line: the client secret, the control key
    client_secret = sys.stdin.readline().strip()
    control_key = sys.stdin.readline().strip()
    from zoom_actions import load_catalog
    state = StandIn(load_catalog(), plan=args.plan, account_id=args.account_id, client_id=args.client_id,
                    client_secret=client_secret, control_key=control_key)
    server = StandInServer(build_app(state), args.port)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
