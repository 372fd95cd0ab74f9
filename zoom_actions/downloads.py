"""Recording downloads: fetching a ``download_url`` safely, and saving it in ``upload_dir``.

A recording file's ``download_url`` (``https://zoom.us/rec/download/...``)
needs the account's bearer token, and Zoom answers it with a redirect to a
signed URL. :func:`download_flow` is the sans-IO flow for that one GET, run
by :func:`~zoom_actions.flow.drive` / ``adrive`` like any call:

- the URL, and every redirect target, must be a Zoom host (``zoom.us``,
  ``zoomgov.com`` and their subdomains, over https) or the origin of the
  toolkit's own base URL (the sandbox, a loopback test server); anything
  else is refused before a byte is sent, so the bearer never reaches a
  foreign host;
- a Server-to-Server or user token is fetched as for an API call (and
  refreshed once on a 401); through a gateway (Lava, Maton) the gateway
  key must never go to Zoom, so the caller passes the recording's
  ``download_access_token`` instead;
- transport errors, 429 and 5xx are retried like a GET, under the
  toolkit's retry policy and the call's deadline;
- the body is read up to ``max_bytes`` (the session is built with that cap).

:func:`save_into` writes bytes under ``upload_dir`` and nowhere else: the
relative path is checked before and after resolving links, and the file is
written beside its target and linked (or, with ``overwrite``, renamed) into
place, so a half-written file is never seen and an existing one is never
clobbered by accident.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .auth import AuthFailure
from .errors import fail, zoom_code
from .flow import Answer, NeedToken, Send, Sleep, parse_body
from .gateways import check_url
from .retry import may_resend_after_error, may_resend_after_status
from .transport import DeadlineExceeded, ResponseTooLarge

ZOOM_HOSTS = ("zoom.us", "zoomgov.com")
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Downloaded:
    content: bytes
    content_type: str


def origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{(p.hostname or '').lower()}:{p.port or (443 if p.scheme == 'https' else 80)}"


def trusted(url: str, own_origins: frozenset[str]) -> str | None:
    """Why ``url`` may not carry the bearer (None: it may): a Zoom host over
    https, or one of ``own_origins`` (the toolkit's base URL)."""
    try:
        check_url(url.split("?", 1)[0].split("#", 1)[0], "the download URL")
    except ValueError as exc:
        return str(exc)
    if origin(url) in own_origins:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in ZOOM_HOSTS):
        return None
    return f"{host or 'a URL without a host'} is neither a Zoom host nor the toolkit's own base URL"


def download_flow(what: str, url: str, *, own_origins: frozenset[str], tokens, token: str | None, retry,
                  attempt_timeout: float, deadline: float, headers: dict):
    """GET ``url`` with the bearer; the flow's value is :class:`Downloaded` or a failure envelope.
    ``token``: a download access token to use instead of the account's (``tokens``)."""
    why = trusted(url, own_origins)
    if why is not None:
        return fail(f"{what}: the recording's download URL was not fetched: {why}. Nothing was sent.")
    attempt, refreshed, failed = 0, False, None
    while True:
        if token is None:
            try:
                bearer = yield NeedToken(failed, tokens)
            except AuthFailure as exc:
                return fail(f"{what}: {exc}")
        else:
            bearer = token
        failed = None
        try:
            answer = yield from _follow(what, url, {**headers, "Authorization": "Bearer " + bearer},
                                        own_origins, attempt_timeout, deadline)
        except _Refused as exc:
            return fail(str(exc))
        except ResponseTooLarge as exc:
            return fail(f"{what}: the file was not saved: it is larger than the {exc.cap:,}-byte cap "
                        "(max_bytes). Raise max_bytes (up to the toolkit's max_response_bytes) to fetch it.")
        except DeadlineExceeded as exc:
            return fail(f"{what}: the download stopped: {exc}. Try again, or raise the timeout.")
        except Exception as exc:   # a transport error, thrown in by the driver
            if attempt < retry.max_retries and may_resend_after_error("GET", exc) and \
                    time.monotonic() + retry.backoff(attempt + 1) < deadline:
                attempt += 1
                yield Sleep(retry.backoff(attempt))
                continue
            return fail(f"{what}: the download failed: {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
                        + ". Try again later.")
        status = answer.status
        if 200 <= status < 300:
            ctype = answer.headers.get("content-type", "") or "application/octet-stream"
            return Downloaded(answer.content, ctype)
        body = parse_body(answer)
        code, message = zoom_code(body)
        if status == 401 and token is None and not refreshed and getattr(tokens.provider, "refreshable", False):
            refreshed, failed = True, bearer
            continue
        if attempt < retry.max_retries and (status == 429 or may_resend_after_status("GET", status)) and \
                time.monotonic() + retry.backoff(attempt + 1) < deadline:
            attempt += 1
            yield Sleep(retry.backoff(attempt))
            continue
        detail = f" (Zoom code {code}: {message})" if code is not None or message else ""
        hint = {401: " The token was refused: it may lack a recording scope (recording:read, "
                     "cloud_recording:read:...) or have expired.",
                403: " The token's user may not download this recording (recording download may be disabled "
                     "for the account, or the file belongs to another user).",
                404: " The file is gone (deleted, or moved to the trash) or its id is wrong."}.get(status, "")
        return fail(f"{what}: downloading the recording file failed with HTTP {status}{detail}.{hint}")


class _Refused(Exception):
    pass


def _follow(what: str, url: str, headers: dict, own_origins: frozenset[str], attempt_timeout: float,
            deadline: float):
    """One GET, following redirects only to trusted places; the bearer stays with Zoom's hosts."""
    for _ in range(MAX_REDIRECTS + 1):
        answer: Answer = yield Send("GET", url, headers, None, None, None,
                                    min(time.monotonic() + attempt_timeout, deadline))
        if answer.status not in _REDIRECTS or not answer.headers.get("location"):
            return answer
        target = urljoin(url, answer.headers["location"])
        why = trusted(target, own_origins)
        if why is not None:
            raise _Refused(f"{what}: Zoom redirected the download to a place it was not followed to: {why}. "
                           "Nothing more was sent.")
        url = target
    raise _Refused(f"{what}: more than {MAX_REDIRECTS} redirects; stopped following them.")


# --- saving ---------------------------------------------------------------------------

class SaveRefused(ValueError):
    """A path outside ``upload_dir``, an existing file without ``overwrite``, no ``upload_dir``."""


def target_in(upload_dir: Path | None, rel: str) -> Path:
    """Where ``rel`` lands under ``upload_dir``; refuses anything that would leave it."""
    if upload_dir is None:
        raise SaveRefused("no upload directory is configured: create the toolkit with upload_dir=... to save "
                          "recording files (nothing is ever written elsewhere)")
    if not isinstance(rel, str) or not rel.strip():
        raise SaveRefused("`path` must be a non-empty relative path")
    if "\0" in rel or "\\" in rel:
        raise SaveRefused("`path` must not contain NUL or backslashes")
    if rel.startswith("/") or os.path.isabs(rel) or (len(rel) > 1 and rel[1] == ":"):
        raise SaveRefused("`path` must be relative to the upload directory, not absolute")
    if any(part in ("..", ".") for part in rel.split("/")):
        raise SaveRefused("`path` must not contain `..` or `.` segments")
    root = upload_dir.resolve()
    candidate = (root / rel).resolve()   # follows links: a link out of the directory is caught below
    if root not in candidate.parents:
        raise SaveRefused("`path` must stay inside the upload directory (a link may point out of it)")
    return candidate


def save_into(upload_dir: Path | None, rel: str, content: bytes, *, overwrite: bool) -> tuple[str, str]:
    """Write ``content`` at ``rel`` under ``upload_dir``: (the relative path, its sha256)."""
    target = target_in(upload_dir, rel)
    root = upload_dir.resolve()
    if target.exists() and not overwrite:
        raise SaveRefused(f"{target.relative_to(root)} already exists; pass overwrite=true to replace it, or "
                          "another path")
    if target.is_dir():
        raise SaveRefused(f"{target.relative_to(root)} is a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target_in(upload_dir, rel) != target:   # a directory swapped for a link while it was made
        raise SaveRefused("`path` changed while it was created; nothing was saved")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)   # fails if a file appeared there meanwhile: nothing is clobbered
            except FileExistsError:
                raise SaveRefused(f"{target.relative_to(root)} already exists; pass overwrite=true to replace "
                                  "it") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return str(target.relative_to(root)), hashlib.sha256(content).hexdigest()
