"""The contract harness without Prism: reading Prism's verdicts, the
allow-list, the input generator, and the recording relay (with a stand-in
upstream on loopback that answers the way Prism does)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contract import check, inputs
from contract.relay import Exchange, Relay

# --- reading Prism's verdict -------------------------------------------------------


def ex(status=200, headers=None, body=b"", method="GET", target="/meetings/1") -> Exchange:
    e = Exchange(method, target, {}, b"")
    e.status, e.response_headers, e.response_body = status, headers or {}, body
    return e


def test_sl_violations_header_errors_only():
    header = json.dumps([
        {"location": ["request", "body", "type"], "severity": "Error", "code": "enum", "message": "bad enum"},
        {"location": ["request", "query", "x"], "severity": "Warning", "code": "type", "message": "meh"},
        {"location": ["response", "body"], "severity": "Error", "code": "type", "message": "not ours"},
    ])
    found = check.prism_violations("full", ex(400, {"sl-violations": header}))
    assert [(v.location, v.code) for v in found] == [("request.body.type", "enum")]


def test_problem_json_validation_and_routing_errors():
    body = json.dumps({"type": "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY", "title": "Invalid request",
                       "validation": [{"location": ["request", "path", "meetingid"], "severity": "Error",
                                       "code": "type", "message": "must be integer"}]}).encode()
    found = check.prism_violations("minimal", ex(422, {"content-type": "application/problem+json"}, body))
    assert [(v.variant, v.location, v.code) for v in found] == [("minimal", "request.path.meetingid", "type")]
    body = json.dumps({"type": "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR",
                       "detail": "The route /x hasn't been found"}).encode()
    found = check.prism_violations("full", ex(404, {"content-type": "application/problem+json"}, body))
    assert [(v.location, v.code) for v in found] == [("request", "NO_PATH_MATCHED_ERROR")]
    assert check.prism_violations("full", ex(200, {"content-type": "application/json"}, b"{}")) == []


def test_route_must_be_the_actions_operation():
    action = {"operation": {"method": "GET", "path": "/meetings/{meetingId}/recordings"}}
    assert check.route_violations("full", action, ex(target="/meetings/85746065/recordings?x=1")) == []
    assert check.route_violations("full", action, ex(target="/meetings//recordings"))
    assert check.route_violations("full", action, ex(method="DELETE", target="/meetings/1/recordings"))


def test_response_checked_against_output_schema():
    action = {"output_schema": {"type": "object", "required": ["data", "successful", "error"], "properties": {
        "data": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "successful": {"type": "boolean"}, "error": {"type": ["string", "null"]}}}}
    good = {"data": {"id": 1}, "successful": True, "error": None}
    assert check.response_violations("full", action, ex(200), good) == []
    bad = check.response_violations("full", action, ex(200), {"data": {"id": "x"}, "successful": True, "error": None})
    assert [(v.source, v.location) for v in bad] == [("response", "response.data.id")]
    refused = check.response_violations("full", action, ex(201), {"data": {}, "successful": False, "error": "no"})
    assert refused[0].code == "unsuccessful"
    assert check.response_violations("full", action, ex(400), {"data": {}, "successful": False, "error": "x"}) == []


# --- the allow-list ------------------------------------------------------------------

def test_allowlist_covers_by_location_prefix_code_and_source():
    entries = [{"action": "A", "location": "request.body.x", "code": "enum", "reason": "Zoom's enum is wrong"},
               {"action": "B", "location": "response.data", "source": "response", "reason": "mock is wrong"},
               {"action": "C", "location": "request", "reason": "never used"}]
    r_a = check.ActionResult("A", "meetings", violations=[
        check.Violation("full", "prism", "request.body.x.0", "enum", "m"),
        check.Violation("full", "prism", "request.body.xy", "enum", "m"),        # not under request.body.x
        check.Violation("full", "prism", "request.body.x", "type", "m")])        # other code
    r_b = check.ActionResult("B", "users", violations=[check.Violation("full", "response", "response.data.id", "type", "m")])
    stale = check.apply_allowlist([r_a, r_b], entries)
    assert [v.allowed_by for v in r_a.violations] == ["Zoom's enum is wrong", None, None]
    assert r_a.status == "failing" and r_b.status == "allow-listed"
    assert stale == [entries[2]]


def test_allowlist_entries_need_reasons(tmp_path):
    path = tmp_path / "allow.json"
    path.write_text(json.dumps({"entries": [{"action": "A", "location": "request", "reason": " "}]}))
    with pytest.raises(ValueError, match="reason"):
        check.load_allowlist(path)


def test_allowlist_entry_for_several_actions_and_locations_is_judged_per_action():
    entry = {"actions": ["A", "B", "C"], "location": ["request.body.to", "request.query.to"], "code": ["oneOf", "type"],
             "reason": "Zoom's contact oneOf overlaps"}
    r_a = check.ActionResult("A", "team-chat", violations=[check.Violation("full", "prism", "request.body.to", "oneOf", "m")])
    r_b = check.ActionResult("B", "team-chat", violations=[
        check.Violation("full", "prism", "request.query.to", "type", "m"),
        check.Violation("full", "prism", "request.query.to", "enum", "m")])      # a code the entry does not name
    r_c = check.ActionResult("C", "team-chat")                                   # C no longer has the defect
    stale = check.apply_allowlist([r_a, r_b, r_c], [entry])
    assert r_a.status == "allow-listed" and r_b.status == "failing"
    assert [v.allowed_by is not None for v in r_b.violations] == [True, False]
    # the entry still covers A and B, but its name C has rotted: reported alone
    assert stale == [{"location": entry["location"], "code": entry["code"], "reason": entry["reason"], "actions": ["C"]}]
    assert check.entry_actions({"action": "X", "actions": ["Y"]}) == ["X", "Y"]


def test_project_allowlist_is_small_and_names_real_actions(catalog):
    entries = check.load_allowlist()
    found_by_prism = [e for e in entries if e.get("source", "prism") in ("prism", "response")]
    found_offline = [e for e in entries if e.get("source") == "inputs"]   # checked below, without Prism
    # small: at most 1% of the catalog in entries (24 at 2,444 actions: each one defect of Zoom's, with its
    # reason), and at most 3% of the actions covered (a defect Zoom repeats, e.g. Team Chat's contact oneOf)
    cap = max(9, len(catalog) // 100)
    assert 0 < len(found_by_prism) <= cap
    assert len(found_offline) <= cap
    assert len(found_by_prism) + len(found_offline) == len(entries)
    covered = [a for e in entries for a in check.entry_actions(e)]
    assert len(set(covered)) <= max(9, 3 * len(catalog) // 100)
    for e in entries:
        for name in check.entry_actions(e):
            assert name in catalog and not catalog.is_workflow(name), e
        assert len(e["reason"]) > 40


# --- the input generator -------------------------------------------------------------

def test_every_action_gets_valid_full_and_minimal_inputs(all_actions):
    # Only a defect of Zoom's spec, allow-listed with its reason, may leave a
    # variant without input or a parameter out of `full`; each such entry must
    # match a finding here, so the list cannot rot.
    offline = [e for e in check.load_allowlist() if e.get("source") == "inputs"]
    results = []
    for action in all_actions:
        chosen = inputs.choose(action)
        props = set(action["input_schema"]["properties"])
        union = (action.get("request_body") or {}).get("kind") == "union"  # a union may need one branch's fields
        findings = check.input_findings(action, chosen)
        results.append(check.ActionResult(action["name"], action["product"], violations=findings))
        for params in chosen.values():
            assert not inputs.input_errors(action, params) and not inputs.body_errors(action, params)
            assert not inputs.runtime_errors(action, params), (action["name"], inputs.runtime_errors(action, params))
            for name, value in params.items():
                if action["parameters"][name]["in"] == "path":
                    assert value not in ("", None), (action["name"], name)
        if any(v.code == "no-valid-input" for v in findings):
            continue   # judged below, by the allow-list
        assert set(chosen) == {"full", "minimal"}, action["name"]
        required = set(action["input_schema"].get("required", []))
        assert required <= set(chosen["minimal"])
        if not union:
            assert set(chosen["minimal"]) == required, action["name"]
        assert set(chosen["full"]) >= required
        # a body whose oneOf branches overlap (every value fits two) is left out of `full` on purpose
        ambiguous = any(inputs.branch_matches(action, p) not in (None, 0, 1) for t, p in inputs.candidates(action)
                        if t == "full")
        if not union and not ambiguous:   # every parameter, but those the spec admits no value for
            unsatisfiable = {n for n in props for v in findings if v.code == "unsatisfiable" and f"`{n}`" in v.message}
            assert set(chosen["full"]) == props - unsatisfiable, action["name"]
    stale = check.apply_allowlist(results, offline)
    failing = {r.name: [v.short() for v in r.failing] for r in results if r.failing}
    assert not failing, failing
    assert not stale, stale


def test_spec_defects_are_found():
    undeclared = {"type": "object", "required": ["email", "phones"], "properties": {"phones": {"type": "array"}}}
    action = {"name": "A", "parameters": {"phones": {"in": "body", "path": ["phones"]},
                                          "since": {"in": "query", "name": "since"}},
              "request_body": {"content_type": "application/json", "kind": "object", "schema": undeclared},
              "input_schema": {"type": "object", "properties": {
                  "phones": {"type": "array"},
                  "since": {"type": "string", "format": "date-time", "pattern": "YYYY-MM-DDTHH:MM:SSZ"}}}}
    assert [(loc, code) for loc, code, _ in inputs.defects(action)] == [
        ("request.body", "required"), ("request.query.since", "unsatisfiable")]
    assert "`email`" in inputs.defects(action)[0][2]
    # a pattern that some value of the format matches is no defect, and that value is what is sent
    fine = {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-"}
    assert inputs.admits_no_value(fine) is None and inputs.sample(fine) == "2026-01-15T10:00:00Z"
    assert inputs.admits_no_value({"type": "string", "pattern": "YYYY"}) is None   # no format: the literal is fine
    # an overlapping oneOf (every value of one branch fits the other): a value of one branch, as the runtime reads it
    overlap = {"oneOf": [{"type": "object", "properties": {"date": {"type": "string", "examples": ["2020-01-01"]}}},
                         {"type": "object", "properties": {"dateTime": {"type": "string"}}}]}
    assert inputs.sample(overlap) == {"date": "2020-01-01"}


def test_examples_first_then_generated_values():
    schema = {"type": "integer", "minimum": 5, "maximum": 9, "examples": [100]}   # example out of range
    assert inputs.sample(schema) == 5
    assert inputs.sample({"type": "string", "examples": ["zoom"]}) == "zoom"
    assert inputs.sample({"type": "string", "examples": [""]}, nonempty=True) == "example"
    assert inputs.sample({"type": "string", "format": "date-time"}) == "2026-01-15T10:00:00Z"
    assert inputs.sample({"type": "string", "maxLength": 3}) == "exa"
    assert inputs.sample({"type": "string", "pattern": "^[0-9]{3}$"}).isdigit()
    assert inputs.sample({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}) == ["a"]
    assert inputs.sample({"type": "object", "required": ["a"], "properties": {
        "a": {"type": "boolean"}, "b": {"type": "integer"}}}, full=False) == {"a": True}


# --- the relay, in front of a stand-in Prism -----------------------------------------

class _FakePrism(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_ANY(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if b'"bad"' in body:
            payload = b""
            self.send_response(400)
            self.send_header("sl-violations", json.dumps([{"location": ["request", "body", "topic"],
                                                          "severity": "Error", "code": "type", "message": "no"}]))
        else:
            payload = json.dumps({"id": 85746065, "topic": "Sync"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_ANY


@pytest.fixture()
def fake_prism():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakePrism)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_relay_records_what_the_toolkit_sent(fake_prism, catalog):
    relay = Relay(fake_prism)
    try:
        execute = check.toolkit_factory(relay.url, catalog)
        env = execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Sync", "settings__waiting_room": True})
        assert env["successful"] is True and env["data"]["id"] == 85746065
        (sent,) = relay.take()
        assert sent.method == "POST" and sent.path == "/users/me/meetings"
        assert json.loads(sent.body) == {"topic": "Sync", "settings": {"waiting_room": True}}
        assert sent.headers["Authorization"] == "Bearer contract-check"
        assert relay.take() == []
    finally:
        execute.__self__.close()
        relay.close()


def test_check_action_reports_prism_violations(fake_prism, catalog):
    relay = Relay(fake_prism)
    try:
        execute = check.toolkit_factory(relay.url, catalog)
        action = catalog.get("ZOOM_CREATE_A_MEETING")
        result = check.check_action(action, relay, execute)
        assert result.calls == 2 and result.statuses == [201, 201]
        # the stand-in's answer lacks nothing the output schema requires
        assert result.status == "conformant", [v.short() for v in result.violations]
        original = inputs.choose

        def with_bad_topic(a):
            chosen = original(a)
            chosen["full"]["topic"] = "bad"
            chosen["full"]["agenda"] = "\"bad\""
            return chosen
        inputs.choose = with_bad_topic
        try:
            result = check.check_action(action, relay, execute)
        finally:
            inputs.choose = original
        assert result.status == "failing"
        assert [(v.variant, v.location) for v in result.failing] == [("full", "request.body.topic")]
        execute.__self__.close()
    finally:
        relay.close()


# --- binary downloads ----------------------------------------------------------------

class _DownloadPrism(BaseHTTPRequestHandler):
    """Answers a download the way Prism does: 406 when the Accept header does
    not name the declared media type, else its 500 "Cannot find serializer"
    (Prism validated the request but mocks only JSON, XML and text)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        accept = self.headers.get("Accept", "")
        if "application/octet-stream" in accept:
            status, problem = 500, {"type": "https://stoplight.io/prism/errors#UNKNOWN",
                                    "title": "Cannot find serializer for application/octet-stream", "status": 500}
        else:
            status, problem = 406, {"type": "https://stoplight.io/prism/errors#NOT_ACCEPTABLE",
                                    "title": "The server cannot produce a representation for your accept header",
                                    "detail": f"Unable to find content for {accept}"}
        payload = json.dumps(problem).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_a_download_asks_for_its_media_type_and_is_conformant_when_prism_cannot_mock_it(catalog):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DownloadPrism)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    relay = Relay(server.server_address[1])
    execute = check.toolkit_factory(relay.url, catalog)
    try:
        action = catalog.get("ZOOM_DOWNLOAD_A_CLIP")
        assert action["response_content_type"] == "application/octet-stream"
        result = check.check_action(action, relay, execute)
        assert result.statuses == [500] and result.status == "conformant", [v.short() for v in result.violations]
        # the same answer for an action that declares a JSON success is a finding
        plain = {**action, "response_content_type": None}
        result = check.check_action(plain, relay, execute)
        assert result.status == "failing" and result.failing[0].code == "UNKNOWN"
    finally:
        execute.__self__.close()
        relay.close()
        server.shutdown()
        server.server_close()


def test_binary_success_is_prisms_serializer_problem_for_a_declared_download():
    action = {"response_content_type": "application/zip"}
    problem = json.dumps({"type": "https://stoplight.io/prism/errors#UNKNOWN",
                          "title": "Cannot find serializer for application/zip"}).encode()
    pj = {"content-type": "application/problem+json"}
    assert check.binary_success(action, ex(500, pj, problem))
    assert not check.binary_success({}, ex(500, pj, problem))
    other = json.dumps({"type": "https://stoplight.io/prism/errors#UNKNOWN", "title": "boom"}).encode()
    assert not check.binary_success(action, ex(500, pj, other))
    # a request violation Prism reports beside its failure to mock is still found
    header = json.dumps([{"location": ["request", "query", "file_key"], "severity": "Error", "code": "required",
                          "message": "missing"}])
    both = ex(500, {**pj, "sl-violations": header}, problem)
    assert check.binary_success(action, both)
    assert [(v.location, v.code) for v in check.prism_violations("full", both)
            if (v.code, v.location) != ("UNKNOWN", "request")] == [("request.query.file_key", "required")]
