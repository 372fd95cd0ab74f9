"""File downloads and the overlay's reach, built from a small document of our own.

Zoom declares a download's media type either as ``content`` (``application/pdf``)
or only in the success response's ``Content-Type`` header (invoice PDFs,
legal-hold zips, whiteboard files). Either way the action must say its success
is not JSON (``response_content_type``), describe the body it returns, and ask
for that media type on the wire; a real loopback server plays Zoom.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest

from zoom_actions import Toolkit
from zoom_actions.codegen import build

PDF = b"%PDF-1.4\n\xe2\xe3\xcf\xd3 binary"

DOC = {
    "openapi": "3.0.0", "info": {"title": "Files", "version": "1"},
    "servers": [{"url": "https://api.example.test/v2"}],
    "paths": {
        "/invoices/{invoiceId}/download": {"get": {
            "summary": "Download an invoice",
            "parameters": [{"name": "invoiceId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the PDF", "headers": {
                "Content-Type": {"schema": {"type": "string", "example": "application/pdf"}},
                "Content-Length": {"schema": {"type": "string", "example": "102400"}}}}}}},
        "/clips/{clipId}/download": {"get": {
            "summary": "Download a clip",
            "parameters": [{"name": "clipId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "bytes", "content": {
                "application/octet-stream": {"schema": {"type": "object", "properties": {}}}}}}}},
        "/things": {"get": {
            "summary": "List things",
            "responses": {"200": {
                "description": "ok",
                "headers": {"Content-Type": {"schema": {"type": "string", "example": "application/json"}}},
                "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "label": {"type": "object", "example": "a label"}}}}},
            }}}},
        "/things/quickAdd": {"post": {
            "summary": "Quick add a thing",
            "parameters": [{"name": "text", "in": "query", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"description": "This field indicates not to supply a request body with this method.",
                            "content": {"undefined": {"schema": {"type": "object", "properties": {}}}}},
            "responses": {"204": {"description": "added"}}}},
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    src, meta = root / "src", root / "meta"
    src.mkdir()
    meta.mkdir()
    (src / "files.json").write_text(json.dumps(DOC))
    (meta / "sources.json").write_text(json.dumps({"products": [
        {"id": "files", "title": "Files", "file": "files.json", "url": "https://example.test/files.json"}]}))
    (meta / "overlay.json").write_text(json.dumps({"patches": [
        # a product list (a product and its master-account twin) and the operation itself as the target
        {"reason": "Zoom says not to send a body", "product": ["files", "files-ma"], "path": "/quickAdd$",
         "methods": ["post"], "pointer": "", "merge": {"requestBody": None}},
        {"reason": "the label is text", "product": ["files-ma", "files"], "path": "^/things$", "methods": ["get"],
         "pointer": "responses/200/content/application~1json/schema/properties/label", "merge": {"type": "string"}},
        {"reason": "names only another product: not applied here", "product": ["files-ma"], "path": ".*",
         "methods": ["get"], "pointer": "responses/200", "merge": {"description": "x"}},
    ]}))
    result = build.build(src, root / "out", spec_dir=meta, strict=True)
    return {a["operation"]["path"]: a for a in result.actions}, root / "out", result


def test_a_download_declares_its_media_type_from_content_or_the_content_type_header(built):
    by_path, _, _ = built
    invoice, clip = by_path["/invoices/{invoiceId}/download"], by_path["/clips/{clipId}/download"]
    assert invoice["response_content_type"] == "application/pdf"     # from the header alone
    assert clip["response_content_type"] == "application/octet-stream"
    for action in (invoice, clip):
        data = action["output_schema"]["properties"]["data"]
        assert data["description"].startswith("A non-JSON body") and "content" in data["properties"]
    # a JSON success carries no media type, even with a Content-Type header beside its content
    assert "response_content_type" not in by_path["/things"]


def test_overlay_product_lists_and_the_operation_as_pointer(built):
    by_path, _, result = built
    quick = by_path["/things/quickAdd"]
    assert quick["request_body"] is None and set(quick["parameters"]) == {"text"}
    assert by_path["/things"]["output_schema"]["properties"]["data"]["properties"]["label"]["type"] == "string"
    assert result.overlay_hits == [1, 1, 0]   # the third names only files-ma, which is not built: no problem
    assert not result.overlay_problems


class _Zoom(BaseHTTPRequestHandler):
    """Serves a PDF only to a client that accepts it (as a strict server would)."""
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        accept = self.headers.get("Accept", "")
        type(self).seen.append(accept)
        if "application/pdf" in accept:
            status, ctype, body = 200, "application/pdf", PDF
        else:
            status, ctype, body = 406, "application/json", b'{"code": 406, "message": "not acceptable"}'
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_runtime_asks_for_the_download_and_returns_it_as_described(built):
    by_path, out, _ = built
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Zoom)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tk = Toolkit(access_token="test-token-123456", catalog=Path(out), max_retries=0,
                 base_url=f"http://127.0.0.1:{server.server_address[1]}", account_plan=None)
    try:
        action = by_path["/invoices/{invoiceId}/download"]
        env = tk.execute(action["name"], {"invoiceId": "inv-1"})
        assert env["successful"], env
        assert _Zoom.seen[-1] == "application/pdf, application/json;q=0.9"   # errors still come as JSON
        assert env["data"]["content_type"] == "application/pdf"
        assert base64.b64decode(env["data"]["content"]) == PDF and env["data"]["encoding"] == "base64"
        jsonschema.Draft202012Validator(action["output_schema"]).validate(env)
    finally:
        tk.close()
        server.shutdown()
        server.server_close()
