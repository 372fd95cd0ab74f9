"""Encoding validated request parts onto the wire.

- Path values are percent-encoded whole (``/``, ``?``, ``#``, ``%`` and
  every other reserved character included), and the dot segments ``.`` and
  ``..`` are encoded too, so no value can change the path or add a query.
  A value that starts with ``/`` or holds ``//`` (a meeting UUID) is encoded
  twice, as Zoom requires: ``/abc==`` -> ``%252Fabc%253D%253D``.
- Query values: booleans as ``true``/``false``; arrays as repeated keys
  (OpenAPI's default form style), or joined by commas for parameters that
  Zoom documents as comma-separated lists.
- JSON bodies are compact UTF-8 JSON.
- Multipart uploads take a file as ``{"filename", "content_base64"}`` or as
  ``{"path"}`` relative to the toolkit's ``upload_dir`` (never elsewhere).
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import InputError

_SAFE = "-._~"   # unreserved characters only: everything else is encoded


_PLAIN = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*").fullmatch   # needs no encoding, and is no dot segment


def encode_path_value(value: Any) -> str:
    if type(value) is int:   # the common case: a meeting, webinar or user number
        return str(value)
    text = _scalar(value)
    if _PLAIN(text) is not None:
        return text
    encoded = quote(text, safe=_SAFE)
    if text.startswith("/") or "//" in text:
        encoded = quote(encoded, safe=_SAFE)
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build_path(template: tuple, values: dict[str, Any]) -> str:
    """``template`` alternates literal text and parameter names:
    ``("/meetings/", "meetingId", "/recordings")``."""
    out = []
    for i, piece in enumerate(template):
        if i % 2:
            value = values.get(piece)
            if value is None:
                raise InputError([(piece, "missing (required path parameter)")])
            text = encode_path_value(value)
            if not text:
                raise InputError([(piece, "must not be empty (it is part of the URL path)")])
            out.append(text)
        else:
            out.append(piece)
    return "".join(out)


def build_query(query: dict[str, Any], comma_joined: frozenset) -> str:
    if not query:
        return ""
    pairs = []
    for key, value in query.items():
        k = quote(key, safe=_SAFE)
        if isinstance(value, (list, tuple)):
            if key in comma_joined:
                pairs.append(f"{k}={quote(','.join(_scalar(v) for v in value), safe=_SAFE + ',')}")
            else:
                for v in value:
                    pairs.append(f"{k}={quote(_scalar(v), safe=_SAFE)}")
        else:
            pairs.append(f"{k}={quote(_scalar(value), safe=_SAFE)}")
    return "&".join(pairs)


def json_body(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def header_value(name: str, value: Any) -> str:
    text = _scalar(value)
    if any(c in text for c in "\r\n\0"):
        raise InputError([(name, "must be a single line (it is sent as an HTTP header)")])
    return text


def multipart_parts(fields: dict[str, Any], file_fields: frozenset, upload_dir: Path | None,
                    flat_names: dict[str, str], max_upload: int | None = None
                    ) -> tuple[dict[str, str], dict[str, tuple]]:
    """``(data, files)`` for the HTTP client from the multipart parameters;
    the files together hold at most ``max_upload`` bytes."""
    data: dict[str, str] = {}
    files: dict[str, tuple] = {}
    budget = max_upload
    for key, value in fields.items():
        name = flat_names.get(key, key)
        if key in file_fields or isinstance(value, dict):
            files[key] = load_file(name, value, upload_dir, budget)
            if budget is not None:
                budget -= len(files[key][1])
        else:
            data[key] = _scalar(value)
    return data, files


def _too_big(param: str, cap: int) -> InputError:
    return InputError([(param, f"the file is larger than the upload cap of {cap:,} bytes (max_upload_bytes)")])


def load_file(param: str, spec: Any, upload_dir: Path | None, cap: int | None = None) -> tuple[str, bytes, str]:
    if not isinstance(spec, dict):
        raise InputError([(param, "a file must be an object with `filename` and `content_base64`, or `path`")])
    content_type = spec.get("content_type")
    if spec.get("content_base64") is not None:
        if spec.get("path") is not None:
            raise InputError([(param, "give either `content_base64` or `path`, not both")])
        raw = spec["content_base64"]
        if not isinstance(raw, str):
            raise InputError([(param, "`content_base64` must be a base64 string")])
        if cap is not None and len(raw) * 3 // 4 > cap + 3:
            raise _too_big(param, cap)
        try:
            content = base64.b64decode(raw.encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise InputError([(param, "`content_base64` is not valid base64")]) from None
        filename = spec.get("filename")
        if not isinstance(filename, str) or not filename.strip():
            raise InputError([(param, "`filename` is required with `content_base64` (with its extension)")])
        filename = os.path.basename(filename.replace("\\", "/")) or "upload"
    elif spec.get("path") is not None:
        rel = spec["path"]
        if not isinstance(rel, str) or not rel:
            raise InputError([(param, "`path` must be a non-empty string")])
        path = resolve_upload_path(param, rel, upload_dir)
        content = _read_upload(param, path, cap)
        filename = spec.get("filename") if isinstance(spec.get("filename"), str) and spec.get("filename") \
            else path.name
        filename = os.path.basename(filename.replace("\\", "/")) or path.name
    else:
        raise InputError([(param, "a file needs `content_base64` (with `filename`) or `path`")])
    if not isinstance(content_type, str) or not content_type:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if any(c in filename + content_type for c in "\r\n\0\""):
        raise InputError([(param, "the file name and content type must be single-line text without quotes")])
    return filename, content, content_type


def resolve_upload_path(param: str, rel: str, upload_dir: Path | None) -> Path:
    if upload_dir is None:
        raise InputError([(param, "file paths are disabled: configure the toolkit with upload_dir=... "
                                  "or send the file as `content_base64`")])
    if "\0" in rel:
        raise InputError([(param, "`path` must not contain NUL")])
    root = upload_dir   # resolved once, when the toolkit was built
    candidate = (root / rel).resolve()
    if candidate != root and root not in candidate.parents:
        raise InputError([(param, "`path` must stay inside the configured upload directory")])
    if not candidate.is_file():
        raise InputError([(param, "no such file in the upload directory")])
    return candidate


def _read_upload(param: str, path: Path, cap: int | None) -> bytes:
    """The file's bytes, read through one descriptor: its link count and size
    are checked on what was opened, so a swap after the check changes nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError([(param, f"cannot read the file: {exc.strerror or type(exc).__name__}")]) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_nlink > 1:
            raise InputError([(param, "the file has more than one hard link, so it may be a link to a file "
                                      "outside the upload directory; copy it instead")])
        if cap is not None and st.st_size > cap:
            raise _too_big(param, cap)
        content = fh.read(cap + 1 if cap is not None else -1)
    if cap is not None and len(content) > cap:
        raise _too_big(param, cap)
    return content
