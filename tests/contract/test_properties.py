"""Property test: for every action, inputs generated from its flat input
schema execute through ``Toolkit`` against a loopback server without an
exception and produce a request whose JSON body validates against the
operation's original (nested) request schema; the method and path are the
operation's, and path values come back exactly as given.

The flat schema cannot say everything the nested one does (``recurrence.type``
is required once any ``recurrence__*`` field is given): the toolkit must then
refuse, naming the parameter, send nothing, and be right to refuse (the body
rebuilt by ``unflatten`` really fails the original schema). Nor can it say
that a header parameter's text must fit in an HTTP header (one line of
visible ASCII): such a value is refused the same way, naming the parameter,
and a value that fits arrives exactly as given.

Schemas are read the way the runtime reads them (``oneOf`` as ``anyOf``,
formats as annotations). ``ZOOM_PROPERTY_EXAMPLES`` sets the examples per
action (default 3).
"""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoom_actions.flat import unflatten
from zoom_actions.inputs import relax

from .strategies import action_inputs

EXAMPLES = int(os.environ.get("ZOOM_PROPERTY_EXAMPLES", "3"))
_HEADER_TEXT = re.compile(r"^(?:[\x21-\x7e](?:[ \t]*[\x21-\x7e])*)?$")   # RFC 9110 field-value, in ASCII


def _wire_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    seen: list = []

    def log_message(self, *args):
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, dict(self.headers.items()), body))
        payload = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def toolkit(server, catalog):
    from zoom_actions import Toolkit
    tk = Toolkit(access_token="property-test", base_url=server, plan=None, max_retries=0, catalog=catalog)
    yield tk
    tk.close()


def _names():
    from zoom_actions import CatalogNotBuilt, load_catalog
    try:
        return load_catalog().operations()   # requests on the wire: the workflows' steps are these operations
    except CatalogNotBuilt:
        return ["(no catalog)"]


def _path_regex(template: str) -> re.Pattern:
    parts = re.split(r"\{([^}]+)\}", template)
    rx = "".join(f"(?P<p{i // 2}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile("^" + rx + "$")


@pytest.mark.parametrize("name", _names())
def test_generated_inputs_make_valid_requests(name, catalog, toolkit):
    if name not in catalog:
        pytest.fail("the catalog is not built", pytrace=False)
    action = catalog.get(name)
    op = action["operation"]
    rb = action.get("request_body") or {}
    body_validator = (jsonschema.Draft202012Validator(relax(rb["schema"]))
                      if rb.get("content_type", "").endswith("json") else None)
    path_names = re.findall(r"\{([^}]+)\}", op["path"])
    path_rx = _path_regex(op["path"])
    flat_for_path = {loc["name"]: n for n, loc in action["parameters"].items() if loc["in"] == "path"}
    header_params = {n: loc["name"] for n, loc in action["parameters"].items() if loc["in"] == "header"}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(params=action_inputs(action))
    def check(params):
        _Recorder.seen.clear()
        envelope = toolkit.execute(name, params)
        assert set(envelope) == {"data", "successful", "error"}
        if not envelope["successful"]:
            assert _Recorder.seen == [], "refused, yet something was sent"
            assert "nothing was sent" in envelope["error"] and "`" in envelope["error"], envelope["error"]
            unsendable = [n for n in header_params if n in params and not _HEADER_TEXT.match(_wire_text(params[n]))]
            if unsendable:
                assert any(f"`{n}`" in envelope["error"] for n in unsendable), envelope["error"]
                return
            rebuilt = unflatten(action, params).body
            assert body_validator is not None and rebuilt is not None, envelope["error"]
            assert not body_validator.is_valid(rebuilt), f"refused a valid body: {envelope['error']}"
            return
        assert len(_Recorder.seen) == 1
        method, target, headers, body = _Recorder.seen[0]
        assert method == op["method"]
        match = path_rx.match(urlsplit(target).path)
        assert match, (target, op["path"])
        for i, wire_name in enumerate(path_names):
            sent = unquote(match.group(f"p{i}"))
            given_value = str(params[flat_for_path[wire_name]])
            if given_value.startswith("/") or "//" in given_value:
                sent = unquote(sent)  # Zoom's double encoding of such meeting UUIDs
            if isinstance(params[flat_for_path[wire_name]], str):
                assert sent == given_value
        sent_headers = {k.lower(): v for k, v in headers.items()}
        for flat, wire_name in header_params.items():
            if flat in params:
                assert sent_headers.get(wire_name.lower()) == _wire_text(params[flat]), (flat, params[flat])
        if body_validator is not None and body:
            assert headers.get("Content-Type", "").startswith("application/json")
            errors = [f"{list(e.absolute_path)}: {e.message[:120]}" for e in body_validator.iter_errors(json.loads(body))]
            assert not errors, errors

    check()


def test_every_action_is_covered(catalog):
    assert len(_names()) == len(catalog.operations()) >= 569


_DEAL = {"opportunity_type": "Indirect Reseller Registration", "sales_rep_contact_crm_number": "C-1",
         "end_customer_crm_account_number": "A-1", "end_customer_contact_crm_number": "C-2",
         "met_decision_maker": True, "end_customer_industry": "Commercial", "opportunity_name": "Acme",
         "estimated_close_date": "2026-06-30", "estimated_mrr": 100, "currency": "USD",
         "requires_professional_services": False,
         "product_groups": [{"name": "Zoom Phone (standalone)", "quantity": 10}],
         "sales_activities": [{"type": "Zoom Demonstration", "date": "2026-05-01"}]}


@pytest.mark.parametrize("value", ["A-3454374", "a b\tc", ""])
def test_header_text_that_fits_arrives_as_given(value, catalog, toolkit):
    params = {"invoice_owner_crm_account_number": value, **_DEAL}
    _Recorder.seen.clear()
    envelope = toolkit.execute("ZOOM_CREATES_A_NEW_DEAL_REGISTRATION_FOR_A_PARTNER", params)
    assert envelope["successful"], envelope["error"]
    (_, _, headers, _), = _Recorder.seen
    assert {k.lower(): v for k, v in headers.items()}["invoice-owner-crm-account-number"] == value


@pytest.mark.parametrize("value", ["\x0c", "a\r\nX-Injected: 1", " padded", "trailing ", "caf\u00e9", "\x7f"])
def test_header_text_that_cannot_be_sent_is_refused(value, catalog, toolkit):
    # httpx sends header text as ASCII and h11 refuses control characters and edge
    # whitespace: such a value used to fail *after* "sending" (a POST reported as maybe applied)
    _Recorder.seen.clear()
    envelope = toolkit.execute("ZOOM_CREATES_A_NEW_DEAL_REGISTRATION_FOR_A_PARTNER",
                               {"invoice_owner_crm_account_number": value, **_DEAL})
    assert not envelope["successful"] and _Recorder.seen == []
    assert "nothing was sent" in envelope["error"] and "`invoice_owner_crm_account_number`" in envelope["error"]
