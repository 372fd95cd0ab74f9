"""Prism on a port taken between our choice and its bind (CI saw it: 45 Prisms starting while their
readiness probes open connections) is started again on another port, not reported as a failure."""

from __future__ import annotations

import os
import socket

import pytest

from contract import prism

SPEC = """openapi: 3.0.0
info: {title: ports, version: "1"}
paths:
  /ping:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ok: {type: boolean}}}
              example: {ok: true}
"""


@pytest.fixture
def prism_bin():
    try:
        return prism.prism_bin()
    except prism.PrismUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"{e} (make install installs it under CI)", pytrace=False)
        pytest.skip(str(e))


def test_a_port_taken_before_prism_binds_it_is_replaced(prism_bin, tmp_path, monkeypatch):
    spec = tmp_path / "ports.yaml"
    spec.write_text(SPEC)
    holder = socket.socket()
    holder.bind((prism.HOST, 0))
    holder.listen()
    taken = holder.getsockname()[1]
    picks = iter([taken])
    real = prism.free_port
    monkeypatch.setattr(prism, "free_port", lambda: next(picks, None) or real())
    try:
        with prism.serve({"ports": spec}, log_dir=tmp_path, timeout=60) as servers:
            server = servers["ports"]
            assert server.relaunches == 1
            assert server.port != taken
            import http.client
            conn = http.client.HTTPConnection(prism.HOST, server.port, timeout=5)
            conn.request("GET", "/ping")
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        holder.close()
    assert "EADDRINUSE" in (tmp_path / f"prism-ports-{taken}.log").read_text()


def test_prism_failing_for_another_reason_is_still_reported(prism_bin, tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.0.0\ninfo: [not, a, mapping]\n")
    with pytest.raises(prism.PrismUnavailable, match="Prism exited"):
        with prism.serve({"broken": spec}, log_dir=tmp_path, timeout=60):
            pass


def test_a_chosen_port_is_free_and_below_the_ephemeral_range():
    low = prism._ephemeral_low()
    for _ in range(20):
        port = prism.free_port()
        if low > 12000:
            assert 10000 <= port < low
        with socket.socket() as s:
            s.bind((prism.HOST, port))      # nothing holds it
