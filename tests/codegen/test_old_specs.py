"""Documents the generator has never seen: Swagger 2.0, defects real Zoom
documents have, versions it cannot read. Each spec here is written for the
test (none is Zoom's text); every case ends in callable actions or a clear
refusal, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.codegen import build
from zoom_actions.codegen.normalize import BuildRefused

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Old API", "version": "2"},
    "host": "api.example.test", "basePath": "/v2", "schemes": ["https"],
    "consumes": ["application/json"], "produces": ["application/json"],
    "parameters": {"WidgetId": {"name": "widgetId", "in": "path", "required": True, "type": "string",
                                "description": "The widget ID."}},
    "definitions": {
        "Widget": {"type": "object", "properties": {"name": {"type": "string"}, "size": {"type": "integer",
                                                                                      "maximum": 10}},
                   "required": ["name"]},
        "WidgetList": {"type": "object", "properties": {"widgets": {"type": "array",
                                                                    "items": {"$ref": "#/definitions/Widget"}}}},
    },
    "paths": {
        "/widgets": {
            "get": {"summary": "List widgets", "parameters": [
                {"name": "page_size", "in": "query", "type": "integer", "maximum": 300},
                {"name": "ids", "in": "query", "type": "array", "items": {"type": "string"},
                 "collectionFormat": "csv"}],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/WidgetList"}}}},
            "post": {"summary": "Create a widget", "parameters": [
                {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Widget"}}],
                     "responses": {"201": {"description": "created", "schema": {"$ref": "#/definitions/Widget"}}}},
        },
        "/widgets/{widgetId}": {
            "parameters": [{"$ref": "#/parameters/WidgetId"}],
            "get": {"summary": "Get a widget",
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Widget"}}}},
            "delete": {"summary": "Delete a widget", "responses": {"204": {"description": "gone"}}},
        },
        "/widgets/{widgetId}/picture": {
            "post": {"summary": "Upload a widget picture", "consumes": ["multipart/form-data"], "parameters": [
                {"$ref": "#/parameters/WidgetId"},
                {"name": "pic_file", "in": "formData", "type": "file", "required": True}],
                     "responses": {"201": {"description": "uploaded"}}},
        },
    },
}

DEFECTS = {
    "openapi": "3.0.0", "info": {"title": "Defects", "version": "1"},
    "servers": [{"url": "https://api.example.test/v2"}],
    "paths": {
        "/accounts/{accountId}/things/{thingId}": {"put": {
            "summary": "Move a thing",   # {thingId} is not declared
            "parameters": [{"name": "accountId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"content": {"undefined": {"schema": {"type": "object", "properties": {
                "count": {"type": "Integer"}, "day": {"type": "Date"}, "big": {"type": "long"},
                "odd": {"type": "Widget"}, "tags": {"type": "array", "format": "string"},
                "kinds": {"type": "array", "enum": ["a", "b"], "items": {"type": "string"}},
                "broken": {"$ref": "#/components/schemas/Missing"}}}}}},
            "responses": {"204": {"description": "moved"}}}},
        "/scim/Users": {"get": {"summary": "List SCIM users", "servers": [{"url": "https://api.example.test"}],
                                "responses": {"200": {"description": "ok"}}}},
    },
}


def _spec_dir(tmp_path: Path, doc: dict, product: str = "old") -> tuple[Path, Path]:
    """A source directory holding ``doc`` as ``product`` and a package spec dir listing it."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / f"{product}.json").write_text(json.dumps(doc))
    meta = tmp_path / "meta"
    meta.mkdir(exist_ok=True)
    (meta / "sources.json").write_text(json.dumps({"products": [
        {"id": product, "title": "Old", "file": f"{product}.json", "url": "https://example.test/spec.json"}]}))
    (meta / "overlay.json").write_text(json.dumps({"patches": [
        {"reason": "a patch for another document", "product": product, "path": "^/nowhere$",
         "methods": ["get"], "pointer": "responses/200", "merge": {"description": "x"}}]}))
    return src, meta


def _callable(catalog_dir: Path):
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json={})
    tk = Toolkit(access_token="test-token-123456", catalog=catalog_dir, transport=httpx2.MockTransport(handler),
                 max_retries=0)
    return tk, sent


def test_swagger_2_document_becomes_callable_actions(tmp_path):
    src, meta = _spec_dir(tmp_path, SWAGGER)
    result = build.build(src, tmp_path / "out", spec_dir=meta)
    by_name = {a["name"]: a for a in result.actions}
    assert set(by_name) == {"ZOOM_LIST_WIDGETS", "ZOOM_CREATE_A_WIDGET", "ZOOM_GET_A_WIDGET", "ZOOM_DELETE_A_WIDGET",
                            "ZOOM_UPLOAD_A_WIDGET_PICTURE"}
    assert any("Swagger 2.0" in str(n) for n in result.notes)
    get = by_name["ZOOM_GET_A_WIDGET"]
    assert get["input_schema"]["required"] == ["widgetId"]   # the path parameter given by $ref
    assert get["output_schema"]["properties"]["data"]["properties"]["size"]["maximum"] == 10
    assert by_name["ZOOM_CREATE_A_WIDGET"]["input_schema"]["required"] == ["name"]   # `in: body`
    assert by_name["ZOOM_UPLOAD_A_WIDGET_PICTURE"]["request_body"]["content_type"] == "multipart/form-data"

    tk, sent = _callable(tmp_path / "out")
    assert tk.execute("ZOOM_GET_A_WIDGET", {"widgetId": "w1"})["successful"]
    assert str(sent[-1].url) == "https://api.example.test/v2/widgets/w1"
    assert tk.execute("ZOOM_CREATE_A_WIDGET", {"name": "gear", "size": 3})["successful"]
    assert json.loads(sent[-1].content) == {"name": "gear", "size": 3}
    env = tk.execute("ZOOM_CREATE_A_WIDGET", {"name": "gear", "size": 11})
    assert not env["successful"] and "size" in env["error"] and len(sent) == 2   # the bound survived
    assert tk.execute("ZOOM_LIST_WIDGETS", {"ids": ["a", "b"]})["successful"]
    assert sent[-1].url.params["ids"] == "a,b"   # collectionFormat: csv


def test_repaired_defects_are_reported_and_the_actions_work(tmp_path):
    src, meta = _spec_dir(tmp_path, DEFECTS)
    result = build.build(src, tmp_path / "out", spec_dir=meta)
    notes = "\n".join(str(n) for n in result.notes)
    assert "{thingId} has no declared parameter" in notes
    assert "'undefined' read as application/json" in notes
    assert "'Integer' read as 'integer'" in notes and "'Date' read as 'string' (format date)" in notes
    assert "'Widget' is unknown" in notes and "Missing" in notes
    move = next(a for a in result.actions if a["operation"]["path"].startswith("/accounts"))
    props = move["input_schema"]["properties"]
    assert set(move["input_schema"]["required"]) == {"accountId", "thingId"}
    assert props["count"]["type"] == "integer" and props["day"] == {"type": "string", "format": "date"}
    assert props["big"] == {"type": "integer", "format": "int64"} and "type" not in props["odd"]
    assert props["tags"]["items"] == {"type": "string"} and props["kinds"]["items"]["enum"] == ["a", "b"]
    assert "broken" in props   # a broken $ref keeps the parameter, loosely typed

    tk, sent = _callable(tmp_path / "out")
    env = tk.execute(move["name"], {"accountId": "a1", "thingId": "t1", "count": 2, "day": "2026-01-02"})
    assert env["successful"], env
    assert str(sent[-1].url) == "https://api.example.test/v2/accounts/a1/things/t1"
    assert sent[-1].headers["content-type"] == "application/json"
    bad = tk.execute(move["name"], {"accountId": "a1", "thingId": "t1", "day": "tomorrow"})
    assert not bad["successful"] and len(sent) == 1
    # an operation's own server is where it is sent (SCIM2's is https://api.zoom.us, paths /scim2/...)
    assert tk.execute("ZOOM_LIST_SCIM_USERS", {})["successful"]
    assert str(sent[-1].url) == "https://api.example.test/scim/Users"


def test_an_overlay_that_does_not_fit_is_a_warning_and_an_error_only_when_strict(tmp_path):
    src, meta = _spec_dir(tmp_path, DEFECTS)
    result = build.build(src, tmp_path / "out", spec_dir=meta)
    assert result.overlay_problems and "matched nothing" in result.overlay_problems[0]
    with pytest.raises(BuildRefused, match="--strict"):
        build.build(src, tmp_path / "out2", spec_dir=meta, strict=True)


@pytest.mark.parametrize("doc,message", [
    ({"swagger": "1.2", "apis": []}, "unsupported document version '1.2'"),
    ({"openapi": "4.0.0", "paths": {}}, "unsupported document version '4.0.0'"),
    ({"openapi": "3.0.0"}, "no `paths`"),
    ([1, 2], "not a spec document"),
])
def test_unreadable_documents_are_refused_with_the_reason(tmp_path, doc, message):
    src, meta = _spec_dir(tmp_path, doc)
    with pytest.raises(BuildRefused, match=message):
        build.build(src, tmp_path / "out", spec_dir=meta)


def test_the_command_refuses_without_a_traceback(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "meetings.json").write_text(json.dumps({"swagger": "1.2"}))
    run = subprocess.run([sys.executable, "-m", "zoom_actions", "generate", "--spec-dir", str(src), "--product",
                          "meetings", "--out", str(tmp_path / "out")], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 2
    assert "unsupported document version '1.2'" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_an_older_meetings_document_under_the_real_product_id_builds_with_warnings(tmp_path):
    """Today's overlay was written for today's Meetings document; an older
    one under the same id must still build (the patches that do not fit are
    warnings)."""
    old = {"openapi": "3.0.0", "info": {"title": "Meetings", "version": "1"},
           "servers": [{"url": "https://api.zoom.us/v2"}],
           "paths": {"/users/{userId}/meetings": {"post": {
               "summary": "Create a meeting", "parameters": [
                   {"name": "userId", "in": "path", "required": True, "schema": {"type": "string"}}],
               "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                   "topic": {"type": "string"}}}}}},
               "responses": {"201": {"description": "created"}}}}}}
    src = tmp_path / "src"
    src.mkdir()
    (src / "meetings.json").write_text(json.dumps(old))
    result = build.build(src, tmp_path / "out", products=["meetings"])
    assert [a["name"] for a in result.actions] == ["ZOOM_CREATE_A_MEETING"]   # the pinned name holds
    assert result.overlay_problems


def _line_group_doc(placeholder: str) -> dict:
    return {"openapi": "3.0.0", "info": {"title": "Lines", "version": "1"},
            "servers": [{"url": "https://api.zoom.us/v2"}],
            "paths": {f"/phone/shared_line_groups/{{{placeholder}}}": {"get": {
                "summary": "Get a shared line group",
                "parameters": [{"name": placeholder, "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}}}}


@pytest.mark.parametrize("pinned", [True, False])
def test_a_renamed_path_placeholder_is_one_changed_action(tmp_path, pinned):
    from zoom_actions.diff import diff
    src, meta = _spec_dir(tmp_path, _line_group_doc("sharedLineGroupId"))
    if pinned:   # the name in the lock under the old path, as after `generate --update-lock`
        (meta / "names.lock").write_text(json.dumps({"names": {
            "old GET /phone/shared_line_groups/{sharedLineGroupId}": "ZOOM_GET_A_SHARED_LINE_GROUP"}}))
    new = tmp_path / "new.json"
    new.write_text(json.dumps(_line_group_doc("slgId")))
    report = diff(f"old={src / 'old.json'}", f"old={new}", spec_dir=meta)
    assert report.added == [] and report.removed == []
    assert list(report.changed) == ["ZOOM_GET_A_SHARED_LINE_GROUP"]
    text = " ".join(c.detail for c in report.changed["ZOOM_GET_A_SHARED_LINE_GROUP"])
    assert "slgId" in text
