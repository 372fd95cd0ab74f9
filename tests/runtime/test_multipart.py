"""multipart/form-data uploads: base64 content, or a path inside upload_dir only."""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
ACTION = "ZOOM_UPLOAD_A_WEBINAR_S_BRANDING_VIRTUAL_BACKGROUND"


def _parts(seen):
    ctype = seen.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + seen.body)
    out = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return out


def test_base64_upload(tk, server):
    env = tk.execute(ACTION, {"webinarId": 99, "default": True,
                              "file": {"filename": "bg.png", "content_base64": base64.b64encode(PNG).decode()}})
    assert env["successful"], env
    seen = server.last
    assert (seen.method, seen.target) == ("POST", "/webinars/99/branding/virtual_backgrounds")
    parts = _parts(seen)
    assert parts["file"] == ("bg.png", "image/png", PNG)
    assert parts["default"][0] is None and parts["default"][2] == b"true"


def test_path_upload_inside_upload_dir(make_tk, server, tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "wall.jpg").write_bytes(PNG)
    tk = make_tk(upload_dir=tmp_path)
    env = tk.execute("ZOOM_UPLOAD_A_WEBINAR_S_BRANDING_WALLPAPER", {"webinarId": 5, "file": {"path": "img/wall.jpg"}})
    assert env["successful"], env
    assert _parts(server.last)["file"] == ("wall.jpg", "image/jpeg", PNG)


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "img/../../secret.txt", "link.txt", "nope.png"])
def test_paths_outside_upload_dir_are_refused(make_tk, server, tmp_path, path):
    root = tmp_path / "uploads"
    (root / "img").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("top secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    tk = make_tk(upload_dir=root)
    env = tk.execute(ACTION, {"webinarId": 5, "file": {"path": path}})
    assert not env["successful"] and "`file`" in env["error"]
    assert server.api_requests() == []


def test_paths_need_an_upload_dir(tk, server):
    env = tk.execute(ACTION, {"webinarId": 5, "file": {"path": "/etc/hostname"}})
    assert not env["successful"] and "upload_dir" in env["error"]
    assert server.api_requests() == []


@pytest.mark.parametrize("spec,problem", [
    ({"content_base64": "!!!notbase64", "filename": "a.png"}, "not valid base64"),
    ({"content_base64": "aGVsbG8="}, "`filename` is required"),
    ({"filename": "a.png"}, "needs `content_base64`"),
    ({"content_base64": "aGVsbG8=", "filename": "a.png", "path": "x"}, "not both"),
])
def test_bad_file_specs(tk, server, spec, problem):
    env = tk.execute(ACTION, {"webinarId": 5, "file": spec})
    assert not env["successful"] and problem in env["error"], env
    assert server.api_requests() == []


def test_filename_cannot_smuggle_a_path(tk, server):
    env = tk.execute(ACTION, {"webinarId": 5, "file": {"filename": "../../etc/x.png", "content_base64": "aGk="}})
    assert env["successful"], env
    assert _parts(server.last)["file"][0] == "x.png"


def test_profile_picture_upload(tk, server):
    env = tk.execute("ZOOM_UPLOAD_A_USER_S_PROFILE_PICTURE",
                     {"userId": "me", "pic_file": {"filename": "me.jpg", "content_base64": base64.b64encode(PNG).decode()}})
    assert env["successful"], env
    assert (server.last.method, server.last.target) == ("POST", "/users/me/picture")
    assert _parts(server.last)["pic_file"] == ("me.jpg", "image/jpeg", PNG)


def test_multipart_fields_and_files_split():
    from zoom_actions.request import multipart_parts
    data, files = multipart_parts({"default": True, "n": 3, "file": {"filename": "a.txt", "content_base64": "aGk="}},
                                  frozenset({"file"}), None, {})
    assert data == {"default": "true", "n": "3"}
    assert files == {"file": ("a.txt", b"hi", "text/plain")}
