"""The call, as a sans-IO generator, and the two drivers that run it.

:func:`send_flow` decides everything about one prepared request: pacing,
the token, where to send it, redirects, retries, what each answer means.
It does no I/O. It yields typed events and receives their results:

- :class:`Sleep` -> ``None``
- :class:`NeedToken` -> the access token (an ``AuthFailure`` is thrown in)
- :class:`Send` -> an :class:`Answer` (a transport error is thrown in
  through ``generator.throw()``, at the ``yield`` that sent the request)

:func:`drive` runs a flow with the synchronous client and ``time.sleep``;
:func:`adrive` with the asynchronous client and ``asyncio.sleep``. The
flow's return value is the envelope.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from .auth import AuthFailure
from .errors import fail, http_failure, ok, rate_limit_failure, zoom_code
from .gateways import check_url
from .limiter import BeyondDeadline, CapReached, LimiterUnavailable, cap_subject
from .prepare import ActionPlan, PreparedRequest
from .retry import classify_429, is_timeout, may_resend_after_error, may_resend_after_status, not_sent
from .transport import DeadlineExceeded, ResponseTooLarge

log = logging.getLogger("zoom_actions")

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


# --- events -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class NeedToken:
    failed: str | None = None     # the token Zoom just rejected, if any
    tokens: Any = None            # whose token (a TokenManager); None: the session's own


@dataclass(frozen=True, slots=True)
class Send:
    method: str
    url: str
    headers: dict
    content: bytes | None
    data: dict | None
    files: dict | None
    deadline: float               # monotonic: the end of this attempt


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Any                  # the client's case-insensitive headers
    content: bytes


@dataclass(frozen=True, slots=True)
class CallSettings:
    """What the flow needs from the toolkit, fixed for one call."""
    gateway: Any
    provider: Any
    retry: Any
    limiter: Any
    auth_kind: str | None
    attempt_timeout: float
    deadline: float               # monotonic: the end of the whole call
    tokens: Any = None            # the TokenManager of this call's credentials (a connection's), else the session's


# --- the flow -----------------------------------------------------------------------

def send_flow(plan: ActionPlan, req: PreparedRequest, cfg: CallSettings):
    method = req.method
    policy = cfg.retry
    provider = cfg.provider
    attempt = 0
    refreshed = False
    failed_token = None
    maybe_delivered = False
    limiter = cfg.limiter
    subject = cap_subject(plan.action, req.path) if limiter is not None else None   # whose 100-a-day cap
    while True:
        try:
            token = yield NeedToken(failed_token, cfg.tokens)
        except AuthFailure as exc:
            return fail(f"{plan.name}: {exc}")
        failed_token = None
        if limiter is not None:   # after the token: only the wait stands between the slot and the send
            try:
                wait = limiter.reserve(plan.label, subject, max_wait=cfg.deadline - time.monotonic())
            except (LimiterUnavailable, BeyondDeadline) as exc:
                return fail(f"{plan.name}: {exc}")
            except CapReached as exc:
                return fail(f"{plan.name}: {exc}", data=exc.data)
            if wait > 0:
                yield Sleep(wait)
        url = cfg.gateway.url(provider.api_base, req.path, req.query, server=plan.server)
        headers = {**req.headers, "Authorization": "Bearer " + token}
        try:
            answer = yield from _send_following(plan, req, url, headers, cfg)
        except _Refused as exc:
            return fail(str(exc))
        except (ResponseTooLarge, DeadlineExceeded) as exc:
            return _limit_failure(plan, exc)
        except Exception as exc:   # a transport error, thrown in by the driver
            if _deadline_passed(cfg):
                return _deadline_failure(plan, f"attempt {attempt + 1} ({type(exc).__name__})")
            if attempt < policy.max_retries and may_resend_after_error(method, exc):
                attempt += 1
                maybe_delivered = maybe_delivered or not not_sent(exc)
                backoff = policy.backoff(attempt)
                if not _fits(cfg, backoff):
                    return _transport_failure(plan, exc, attempt - 1)
                log.warning("%s: %s; resending (retry %d of %d)", plan.name, type(exc).__name__,
                            attempt, policy.max_retries)
                yield Sleep(backoff)
                continue
            return _transport_failure(plan, exc, attempt)
        status = answer.status
        body = parse_body(answer)
        if limiter is not None:   # Zoom's word on the account's budget (other apps spend it too)
            limiter.learn(plan.label, subject, status, answer.headers, body)
        if 200 <= status < 300:
            return ok(body)
        code, message = zoom_code(body)
        if status == 401 and provider.refreshable and not refreshed and code in (124, None):
            refreshed = True
            failed_token = token
            log.info("%s: access token rejected (401, code %s); refreshing it once", plan.name, code)
            continue
        if status == 429:
            limit = classify_429(answer.headers, message)
            if limit.daily:
                return rate_limit_failure(plan.action, body, daily=True, reset=limit.reset, wait=None,
                                          category=limit.category)
            wait = limit.wait if limit.wait is not None else policy.backoff(attempt + 1)
            if attempt < policy.max_retries and wait <= policy.max_wait and _fits(cfg, wait):
                attempt += 1
                log.warning("%s: per-second rate limit (429); waiting %.2f s (retry %d of %d)", plan.name,
                            wait, attempt, policy.max_retries)
                yield Sleep(wait)
                continue
            return rate_limit_failure(plan.action, body, daily=False, reset=None, wait=wait,
                                      category=limit.category)
        if attempt < policy.max_retries and may_resend_after_status(method, status):
            backoff = policy.backoff(attempt + 1)
            if _fits(cfg, backoff):
                attempt += 1
                maybe_delivered = True
                log.warning("%s: HTTP %d; resending (retry %d of %d)", plan.name, status, attempt,
                            policy.max_retries)
                yield Sleep(backoff)
                continue
        note = None
        if maybe_delivered and status == 404:
            note = ("An earlier attempt may have reached Zoom before the connection failed, so this 404 can "
                    "mean that attempt already succeeded.")
        return http_failure(plan.action, status, body, auth_kind=cfg.auth_kind, refreshed=refreshed, note=note)


class _Refused(Exception):
    pass


def _send_following(plan: ActionPlan, req: PreparedRequest, url: str, headers: dict, cfg: CallSettings):
    """One attempt, following redirects only where credentials and bodies stay safe."""
    method, content, data, files = req.method, req.content, req.data, req.files
    origin = None   # computed on the first redirect: most answers are not one
    for _ in range(MAX_REDIRECTS + 1):
        deadline = min(time.monotonic() + cfg.attempt_timeout, cfg.deadline)
        answer = yield Send(method, url, headers, content, data, files, deadline)
        if answer.status not in _REDIRECTS or not answer.headers.get("location"):
            return answer
        target = urljoin(url, answer.headers["location"])
        origin = origin or _origin(url)
        try:
            check_url(target.split("?", 1)[0].split("#", 1)[0], "the redirect target")
        except ValueError as exc:
            raise _Refused(f"{plan.name}: Zoom answered HTTP {answer.status} with a redirect that was not "
                           f"followed: {exc}. Nothing more was sent.") from None
        has_body = content is not None or data is not None or files is not None
        if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
            method, content, data, files = "GET", None, None, None
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        elif has_body and _origin(target) != origin:
            raise _Refused(f"{plan.name}: Zoom answered HTTP {answer.status}, redirecting a {method} with a "
                           f"body to another origin ({_origin(target)}); it was not re-sent there. Nothing "
                           "more was sent.")
        if _origin(target) != origin:   # credentials stay with the origin they were meant for
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        url = target
    raise _Refused(f"{plan.name}: more than {MAX_REDIRECTS} redirects; stopped following them.")


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{(p.hostname or '').lower()}:{p.port or (443 if p.scheme == 'https' else 80)}"


def _fits(cfg: CallSettings, seconds: float) -> bool:
    return time.monotonic() + seconds < cfg.deadline


def _deadline_passed(cfg: CallSettings) -> bool:
    return time.monotonic() >= cfg.deadline


def _deadline_failure(plan: ActionPlan, during: str) -> dict:
    op = plan.action["operation"]
    return fail(f"{plan.name} ({op['method']} {op['path']}) stopped: the call's deadline (deadline=) ran out "
                f"while {during}. Nothing is known about requests still in flight; check the current state "
                "before trying again, or raise the deadline.")


def _limit_failure(plan: ActionPlan, exc: Exception) -> dict:
    op = plan.action["operation"]
    if isinstance(exc, ResponseTooLarge):
        return fail(f"{plan.name} ({op['method']} {op['path']}): Zoom's answer was not read: {exc}. Raise "
                    "max_response_bytes, or ask for less (page_size, a narrower date range).")
    return fail(f"{plan.name} ({op['method']} {op['path']}): {exc} (timeout= bounds each attempt as a whole); "
                "the answer was dropped. Try again later or raise the timeout.")


def _transport_failure(plan: ActionPlan, exc: BaseException, attempts: int) -> dict:
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    op = plan.action["operation"]
    head = f"{plan.name} ({op['method']} {op['path']}) failed"
    tries = f" after {attempts + 1} attempts" if attempts else ""
    if not_sent(exc):
        return fail(f"{head}: could not connect to Zoom{tries} ({what}). Nothing reached Zoom; check the network "
                    "and the base URL, then try again.")
    if plan.method in ("POST", "PATCH"):
        return fail(f"{head}: the connection failed after the request was sent ({what}). The request may have "
                    f"reached Zoom, so it was not resent (a {plan.method} could be applied twice). Check the "
                    "current state (for example with a list or get action) before trying again.")
    if is_timeout(exc):
        return fail(f"{head}: Zoom did not answer in time{tries} ({what}). Try again later or raise the timeout.")
    return fail(f"{head}{tries}: {what}.")


def parse_body(answer: Answer) -> Any:
    if answer.status == 204 or not answer.content:
        return {}
    content = answer.content
    ctype = answer.headers.get("content-type", "")
    if "json" in ctype or (not ctype and content[:1] in (b"{", b"[")):
        try:
            return json.loads(content)
        except (ValueError, RecursionError):
            pass
    main = ctype.split(";")[0].strip().lower()
    if main.startswith("text/") or main.endswith(("json", "xml", "+xml")) or "charset=" in ctype.lower():
        charset = ctype.lower().partition("charset=")[2].split(";")[0].strip().strip('"') or "utf-8"
        try:
            text = content.decode(charset, errors="replace")
        except LookupError:
            text = content.decode("utf-8", errors="replace")
        return {"content": text, "content_type": ctype}
    try:
        return {"content": content.decode("utf-8"), "content_type": ctype or "application/octet-stream"}
    except UnicodeDecodeError:
        return {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64",
                "content_type": ctype or "application/octet-stream"}


# --- drivers --------------------------------------------------------------------------

def drive(flow, io) -> dict:
    """Run ``flow`` to its envelope; ``io`` does the synchronous I/O."""
    try:
        event = next(flow)
        while True:
            try:
                if type(event) is Send:
                    result = io.send(event)
                elif type(event) is NeedToken:
                    result = io.token(event.failed, event.tokens)
                else:
                    time.sleep(event.seconds)
                    result = None
            except Exception as exc:
                event = flow.throw(exc)
            else:
                event = flow.send(result)
    except StopIteration as stop:
        return stop.value


async def adrive(flow, io) -> dict:
    try:
        event = next(flow)
        while True:
            try:
                if type(event) is Send:
                    result = await io.asend(event)
                elif type(event) is NeedToken:
                    result = await io.atoken(event.failed, event.tokens)
                else:
                    import asyncio  # lazily: building tool definitions never needs it
                    await asyncio.sleep(event.seconds)
                    result = None
            except Exception as exc:
                event = flow.throw(exc)
            else:
                event = flow.send(result)
    except StopIteration as stop:
        return stop.value
