"""One load run: Redis, the Zoom stand-in, N worker processes, and the faults.

The harness owns every process it starts: ``redis-server`` on a free
loopback port in a directory of its own (an append-only file, written
before each reply, so that a killed redis-server comes back with its
data, as a persistent deployment would), the stand-in (``python -m bench.load.standin``) and the
workers (``python -m bench.load.worker``). It stores one Server-to-Server
connection pointed at the stand-in's ``/oauth/token`` in the Redis store
(sealed with a key made for the run), so the workers share its token and
the account's limits. Workers report ``ready``; all start on one ``go``.

Faults (``faults=True``), timed from the run's expected length: one
worker killed with SIGKILL; Redis killed and started again 5 s later;
the current token revoked at the stand-in.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from zoom_actions.limiter import PLANS, USER_CAP

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID, CLIENT_ID = "load-account", "load-client-id"
DEADLINE = 15.0          # each call's deadline (s): the limiter refuses a slot further away than that
REDIS_DOWN = 5.0         # s Redis stays down in the fault run
SETTLE = 1.2             # s between the warm-up and the start: a per-second window and its margin


@dataclass
class RunConfig:
    name: str = "limiter on"
    workers: int = 8
    calls: int = 110
    plan: str = "pro"
    limiter: bool = True
    faults: bool = False
    busy_total: int = USER_CAP + 4     # creates for one shared user, across workers: 4 past the per-user cap
    ri_total: int = 12                 # RESOURCE-INTENSIVE calls, across workers: 2 past the minute's cap


@dataclass
class RunResult:
    config: RunConfig
    started: float
    ended: float
    records: list[dict]
    events: list[dict]
    stats: dict
    counts: list[dict]
    faults: dict = field(default_factory=dict)
    exit_codes: list = field(default_factory=list)


def split(cfg: RunConfig, index: int) -> dict[str, int]:
    """Worker ``index``'s calls by kind: the labels weighted by their caps (3:2:1), so that they finish together."""
    def share(total: int) -> int:
        return total // cfg.workers + (1 if index < total % cfg.workers else 0)
    ri = min(share(cfg.ri_total), cfg.calls)
    rest = cfg.calls - ri
    light, medium = round(rest * 3 / 6), round(rest * 2 / 6)
    heavy = rest - light - medium
    update = light // 5
    create = medium // 2
    busy = min(share(cfg.busy_total), max(0, create - 2))
    group = heavy // 2
    return {"get": light - update, "update": update, "list": medium - create, "create_own": create - busy,
            "create_busy": busy, "report": heavy - group, "group": group, "ri": ri}


def expected_seconds(cfg: RunConfig) -> float:
    """How long the paced run should take: its slowest label's calls at that label's cap."""
    totals = {"LIGHT": 0, "MEDIUM": 0, "HEAVY": 0}
    for i in range(cfg.workers):
        n = split(cfg, i)
        totals["LIGHT"] += n["get"] + n["update"]
        totals["MEDIUM"] += n["list"] + n["create_own"] + n["create_busy"]
        totals["HEAVY"] += n["report"] + n["group"]
    limits = PLANS[cfg.plan]
    return max(totals[label] / limits[label][0] for label in totals)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server the harness can kill and start again on the same port with the same data."""

    def __init__(self, work: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.binary, self.work, self.port = binary, work, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.work),
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class StandInProcess:
    """The stand-in in a process of its own (its own interpreter lock), controlled over loopback."""

    def __init__(self, plan: str, client_secret: str) -> None:
        self.key = secrets.token_urlsafe(24)
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.load.standin", "--plan", plan, "--account-id",
                                      ACCOUNT_ID, "--client-id", CLIENT_ID], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=_env())
        self.proc.stdin.write(client_secret + "\n" + self.key + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("the stand-in did not start")
        self.origin = f"http://127.0.0.1:{int(line.split()[1])}"
        import httpx2
        self._client = httpx2.Client(base_url=self.origin, headers={"X-Standin-Key": self.key}, timeout=30)

    def control(self, what: str, payload: dict | None = None) -> dict:
        r = self._client.post(f"/_standin/{what}", json=payload or {})
        r.raise_for_status()
        return r.json()

    def stats(self) -> dict:
        r = self._client.get("/_standin/stats")
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        if hasattr(self, "_client"):
            self._client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        _close_pipes(self.proc)


def _close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:   # a pipe to a process that was killed
                pass


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_ACCESS", "ZOOM_ACCOUNT", "ZOOM_CLIENT",
                                                                    "ZOOM_REFRESH", "ZOOM_BASE", "ZOOM_TOKEN",
                                                                    "ZOOM_ACTIONS_STORE"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _store_connection(redis_url: str, token_url: str, client_secret: str, vault_key: str) -> None:
    from zoom_actions.connections import Connection, Connections
    from zoom_actions.store import open_store
    from zoom_actions.vault import Vault
    from .worker import CONNECTION, USER
    store = open_store(redis_url)
    try:
        Connections(store, Vault(vault_key)).save(
            Connection(USER, CONNECTION, "server_to_server", client_id=CLIENT_ID, account_id=ACCOUNT_ID,
                       token_url=token_url), {"client_secret": client_secret})
    finally:
        store.close()


def run(cfg: RunConfig, log=print) -> RunResult:
    work = Path(tempfile.mkdtemp(prefix="zoom-load-"))
    client_secret, vault_key = secrets.token_urlsafe(24), _vault_key()
    redis = RedisServer(work)
    standin = None
    workers: list[subprocess.Popen] = []
    try:
        redis.start()
        standin = StandInProcess(cfg.plan, client_secret)
        _store_connection(redis.url, standin.origin + "/oauth/token", client_secret, vault_key)
        env = _env(ZOOM_ACTIONS_SECRET_KEY=vault_key)
        run_id = secrets.token_hex(3)
        counts = [split(cfg, i) for i in range(cfg.workers)]
        for i in range(cfg.workers):
            with open(work / f"worker{i}.log", "wb") as err:   # the workers' warnings (every 429 retried...)
                p = subprocess.Popen([sys.executable, "-m", "bench.load.worker"], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=err, text=True, env=env)
            p.stdin.write(json.dumps({
                "index": i, "run": run_id, "base_url": standin.origin + "/v2", "store": redis.url,
                "plan": cfg.plan if cfg.limiter else None, "deadline": DEADLINE, "counts": counts[i],
                "user": f"user{i}@example.com", "busy_user": "busy@example.com",
                "out": str(work / f"worker{i}.jsonl")}) + "\n")
            p.stdin.flush()
            workers.append(p)
        for i, p in enumerate(workers):
            if p.stdout.readline().strip() != "ready":
                p.wait(10)
                raise RuntimeError(f"worker {i} did not start: {_tail(work / f'worker{i}.log')}")
        # the warm-up's requests leave every per-second window before the start (a first request on a new
        # connection reaches the stand-in late, so its slot and its arrival differ)
        threading.Event().wait(SETTLE)
        expect = expected_seconds(cfg)
        log(f"load: {cfg.name}: {cfg.workers} workers x {cfg.calls} calls, plan {cfg.plan}, limiter "
            f"{'on' if cfg.limiter else 'off'}{', faults' if cfg.faults else ''} (paced: about {expect:.0f} s)")
        started = time.time()
        for p in workers:
            p.stdin.write("go\n")
            p.stdin.flush()
        faults: dict = {}
        injector = None
        if cfg.faults:
            injector = threading.Thread(target=_inject, args=(workers, redis, standin, started, expect, faults, log),
                                        name="faults", daemon=True)
            injector.start()
        limit = 60 + 4 * expect
        for p in workers:
            try:
                p.wait(max(1.0, started + limit - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        ended = time.time()
        if injector is not None:
            injector.join(30)
        for i, p in enumerate(workers):
            if p.returncode not in (0, -signal.SIGKILL):
                log(f"load: worker {i} exited with {p.returncode}: {_tail(work / f'worker{i}.log')}")
        stats = standin.stats()
        records, events = [], []
        for i in range(cfg.workers):
            path = work / f"worker{i}.jsonl"
            for line in (path.read_text().splitlines() if path.exists() else []):
                try:
                    item = json.loads(line)
                except ValueError:
                    continue   # the last line of a worker killed mid-write
                item["worker"] = i
                (events if "event" in item else records).append(item)
        return RunResult(cfg, started, ended, records, events, stats, counts, faults,
                         [p.returncode for p in workers])
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            _close_pipes(p)
        if standin is not None:
            standin.stop()
        redis.kill()
        shutil.rmtree(work, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def _vault_key() -> str:
    from zoom_actions.vault import new_key
    return new_key()


def _inject(workers, redis: RedisServer, standin: StandInProcess, started: float, expect: float, faults: dict,
            log) -> None:
    """The fault schedule, relative to the start: a worker killed, Redis down for 5 s, the token revoked."""
    clock = threading.Event()   # never set: its wait() is the schedule's timer

    def at(offset: float) -> float:
        clock.wait(max(0.0, started + offset - time.time()))
        return time.time() - started
    kill_at = max(2.0, 0.15 * expect)
    down_at = max(kill_at + 1.0, 0.3 * expect)
    revoke_at = max(down_at + REDIS_DOWN + 3.0, 0.7 * expect)
    faults["killed_worker"] = 0
    faults["kill_at"] = at(kill_at)
    os.kill(workers[0].pid, signal.SIGKILL)
    log(f"load: fault: worker 0 killed (SIGKILL) at {faults['kill_at']:.1f} s")
    faults["redis_down_at"] = at(down_at)
    redis.kill()
    log(f"load: fault: Redis killed at {faults['redis_down_at']:.1f} s")
    at(down_at + REDIS_DOWN)
    redis.start()
    faults["redis_up_at"] = time.time() - started
    log(f"load: fault: Redis started again at {faults['redis_up_at']:.1f} s")
    faults["revoke_at"] = at(revoke_at)
    standin.control("revoke")
    log(f"load: fault: token revoked at {faults['revoke_at']:.1f} s")
