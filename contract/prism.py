"""Stoplight Prism, installed under ``contract/node_modules`` by the Makefile
(pinned in ``contract/package.json`` and ``package-lock.json``), one mock
server per spec file on a loopback port. Prism validates every request
against the spec it serves; it reports what it found in the
``sl-violations`` header, or as a 422 problem+json body."""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

CONTRACT_DIR = Path(__file__).resolve().parent
PRISM_BIN = CONTRACT_DIR / "node_modules" / ".bin" / "prism"
HOST = "127.0.0.1"


class PrismUnavailable(RuntimeError):
    pass


def prism_bin() -> Path:
    if not PRISM_BIN.exists():
        raise PrismUnavailable(f"{PRISM_BIN} is missing: run `make contract` (it runs `npm ci` in contract/)")
    return PRISM_BIN


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range when there is room: a port from
    ``bind(0)``, closed and handed to Prism, can be taken meanwhile by any outgoing connection (the
    readiness probes of 45 Prisms open many), and Prism then exits with EADDRINUSE."""
    low = _ephemeral_low()
    for _ in range(200 if low > 12000 else 0):
        port = random.randrange(10000, low)
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class PrismServer:
    spec: Path
    port: int
    process: subprocess.Popen
    log_path: Path
    dynamic: bool = False
    started_in: float = 0.0
    relaunches: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def relaunch(self) -> None:
        """Start it again on another port (its port was taken between our choice and Prism's bind)."""
        self.port, self.process, self.log_path = _launch(self.spec, self.log_path.parent, self.dynamic)
        self.relaunches += 1

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/__prism_ready_probe__")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def _launch(spec: Path, log_dir: Path, dynamic: bool) -> tuple[int, subprocess.Popen, Path]:
    port = free_port()
    log_path = log_dir / f"prism-{spec.stem}-{port}.log"
    args = [str(prism_bin()), "mock", "--host", HOST, "--port", str(port), "--errors", "false",
            "--verboseLevel", "warn"]
    if dynamic:
        args += ["--dynamic", "--seed", "zoom-actions"]
    args.append(str(spec))
    log = open(log_path, "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=CONTRACT_DIR, env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"})
    log.close()
    return port, proc, log_path


def start(spec: Path, log_dir: Path, *, dynamic: bool = False) -> PrismServer:
    return PrismServer(spec, *_launch(spec, log_dir, dynamic), dynamic=dynamic)


def _port_was_taken(server: PrismServer) -> bool:
    return "EADDRINUSE" in server.log_tail(40)


def wait_ready(servers: list[PrismServer], timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    pending = list(servers)
    while pending:
        for s in list(pending):
            if s.process.poll() is not None:
                if s.relaunches < 3 and _port_was_taken(s):
                    s.relaunch()
                    continue
                raise PrismUnavailable(f"Prism exited ({s.process.returncode}) serving {s.spec}:\n{s.log_tail()}")
            if _answers(s.port):
                s.started_in = time.monotonic() - t0
                pending.remove(s)
        if pending:
            if time.monotonic() - t0 > timeout:
                raise PrismUnavailable(f"Prism did not answer within {timeout:.0f}s for "
                                       f"{', '.join(str(s.spec) for s in pending)}")
            time.sleep(0.2)


def stop(servers: list[PrismServer]) -> None:
    for s in servers:
        if s.process.poll() is None:
            s.process.terminate()
    for s in servers:
        try:
            s.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.process.kill()
            s.process.wait(timeout=10)


@contextlib.contextmanager
def serve(specs: dict[str, Path], *, dynamic: bool = False, log_dir: Path | None = None,
          timeout: float = 120.0) -> Iterator[dict[str, PrismServer]]:
    """Start one Prism per spec (product -> spec file); yields product -> server."""
    with contextlib.ExitStack() as stack:
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zoom-contract-")))
        servers = {product: start(path, log_dir, dynamic=dynamic) for product, path in specs.items()}
        try:
            wait_ready(list(servers.values()), timeout)
            yield servers
        finally:
            stop(list(servers.values()))
