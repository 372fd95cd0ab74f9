"""A small loopback Zoom stand-in that records what it is sent.

Enough of Zoom for the adapter tests: ``GET /v2/meetings/{id}`` answers a
meeting (404 with Zoom's error body for id 404), ``POST
/v2/users/{userId}/meetings`` echoes the created meeting, anything else
answers ``{}``. Every request is kept in ``requests`` so tests can check what
reached "Zoom" (no ``null`` leaking into a query, a body rebuilt from flat
parameters).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


def meeting(meeting_id: int) -> dict:
    return {
        "id": meeting_id,
        "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "host_id": "30R7kT7bTIKSNUFEuH_Qlg",
        "host_email": "jchill@example.com",
        "topic": "Weekly sync",
        "type": 2,
        "status": "waiting",
        "start_time": "2030-05-04T16:00:00Z",
        "duration": 45,
        "timezone": "Europe/Berlin",
        "created_at": "2030-05-01T09:00:00Z",
        "join_url": f"https://zoom.us/j/{meeting_id}",
        "agenda": "Roadmap",
    }


class _Handler(BaseHTTPRequestHandler):
    server: "StandIn"

    def log_message(self, *args) -> None:  # keep test output clean
        return

    def _answer(self, status: int, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        record = {"method": self.command, "path": parts.path, "query": dict(parse_qsl(parts.query)),
                  "body": body, "authorization": self.headers.get("Authorization")}
        with self.server.lock:
            self.server.requests.append(record)
        segs = [s for s in parts.path.split("/") if s]
        if self.command == "GET" and segs[:2] == ["v2", "meetings"] and len(segs) == 3:
            if segs[2] == "404":
                return self._answer(404, {"code": 3001, "message": "Meeting does not exist: 404."})
            return self._answer(200, meeting(int(segs[2])))
        if self.command == "POST" and segs[:2] == ["v2", "users"] and segs[3:] == ["meetings"]:
            created = meeting(85746065432)
            created.update({k: v for k, v in (body or {}).items() if k in ("topic", "type", "duration")})
            return self._answer(201, created)
        return self._answer(200, {})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/v2"
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> "StandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)

    def last(self, method: str | None = None) -> dict:
        with self.lock:
            hits = [r for r in self.requests if method is None or r["method"] == method]
        assert hits, "the stand-in got no request"
        return hits[-1]
