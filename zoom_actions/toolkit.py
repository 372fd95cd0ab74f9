"""The runtime: ``Toolkit.execute(name, params)`` -> ``{data, successful, error}``.

One implementation serves the synchronous and the asynchronous API: the
call is a generator (``_flow``) that validates, builds the request and
decides what to do with each answer, and yields the few things that need
I/O (send, sleep, get a token). ``_drive`` runs it with ``httpx.Client`` and
``time.sleep``; ``_adrive`` with ``httpx.AsyncClient`` and ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator

if TYPE_CHECKING:  # imported on the first call: catalog and tool definitions never need it
    import httpx

from . import __version__
from .auth import (DEFAULT_TOKEN_URL, AuthFailure, GatewayKey, Provider, ServerToServer, StaticToken,
                   TokenManager, UserOAuth)
from .catalog import Catalog, load_catalog
from .errors import InputError, fail, http_failure, input_failure, ok, rate_limit_failure, zoom_code
from .flat import unflatten
from .inputs import InputPlan
from .limiter import DEFAULT_PLAN, RateLimiter
from .redact import Secret, install_log_filter, scrub
from .request import build_path, build_query, header_value, json_body, multipart_parts
from .retry import (RetryPolicy, classify_429, is_timeout, may_resend_after_error, may_resend_after_status,
                    not_sent)
from .routes import Route, check_url, is_loopback, resolve

log = logging.getLogger("zoom_actions")
install_log_filter(log)

_SEND, _SLEEP, _TOKEN = 0, 1, 2
_USER_AGENT = f"zoom-actions/{__version__} (python-httpx)"
_NO_CREDENTIALS = (
    "No Zoom credentials. Set ZOOM_ACCESS_TOKEN (a bearer token), or ZOOM_ACCOUNT_ID + ZOOM_CLIENT_ID + "
    "ZOOM_CLIENT_SECRET (Server-to-Server OAuth), or ZOOM_CLIENT_ID + ZOOM_CLIENT_SECRET + ZOOM_REFRESH_TOKEN "
    "(user OAuth); or use route='lava' with LAVA_SECRET_KEY or route='maton' with MATON_API_KEY. To try the "
    "actions without a Zoom account, use Toolkit(sandbox=True) or `zoom-actions run ... --sandbox`.")
_COMMA_HINTS = ("comma separated", "comma-separated", "comma seperated", "comma-seperated")
_PAGE_SAFETY = 10_000


class ActionPlan:
    """One action's request shape, computed once per toolkit."""

    __slots__ = ("action", "name", "method", "template", "inputs", "label", "comma_joined", "file_fields",
                 "multipart", "json_kind", "has_token", "has_page_number", "list_fields", "flat_names",
                 "header_names")

    def __init__(self, action: dict) -> None:
        self.action = action
        self.name = action["name"]
        op = action["operation"]
        self.method = op["method"].upper()
        self.template = _split_template(op["path"])
        self.inputs = InputPlan(action)
        self.label = action.get("rate_limit")
        params = action["parameters"]
        props = action["input_schema"].get("properties", {})
        self.comma_joined = frozenset(
            loc["name"] for n, loc in params.items()
            if loc["in"] == "query" and any(h in str(props.get(n, {}).get("description", "")).lower()
                                            for h in _COMMA_HINTS))
        self.file_fields = frozenset(loc["path"][0] for loc in params.values()
                                     if loc["in"] == "multipart" and loc.get("file"))
        self.flat_names = {(loc.get("name") or loc["path"][0]): n for n, loc in params.items()
                           if loc["in"] in ("multipart", "header")}
        self.header_names = {loc["name"]: n for n, loc in params.items() if loc["in"] == "header"}
        rb = action.get("request_body") or {}
        ctype = str(rb.get("content_type", ""))
        self.multipart = ctype.startswith("multipart/")
        self.json_kind = bool(rb) and ctype.endswith("json")
        self.has_token = "next_page_token" in params and params["next_page_token"]["in"] == "query"
        self.has_page_number = "page_number" in params and params["page_number"]["in"] == "query"
        data = ((action.get("output_schema") or {}).get("properties") or {}).get("data") or {}
        self.list_fields = tuple(k for k, v in (data.get("properties") or {}).items()
                                 if isinstance(v, dict) and v.get("type") == "array")


def _split_template(path: str) -> tuple:
    out, rest = [], path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out.extend([head, name])
    out.append(rest)
    return tuple(out)


class _Prepared:
    __slots__ = ("path", "query", "headers", "content", "data", "files")

    def __init__(self, path, query, headers, content, data, files):
        self.path, self.query, self.headers = path, query, headers
        self.content, self.data, self.files = content, data, files


# Connections per AsyncClient, and requests in flight on it at once.
_ASYNC_POOL = 100

# Not a secret, and spelled so that masking it never hides the word "sandbox" in a message.
SANDBOX_TOKEN = "zoom-actions-sandbox-token"


class Toolkit:
    """Execute any Zoom action and get ``{"data", "successful", "error"}`` back.

    Credentials come from the arguments, else from the environment
    (``ZOOM_ACCESS_TOKEN``; ``ZOOM_ACCOUNT_ID``, ``ZOOM_CLIENT_ID``,
    ``ZOOM_CLIENT_SECRET``; ``ZOOM_REFRESH_TOKEN``; ``ZOOM_BASE_URL``,
    ``ZOOM_TOKEN_URL``, ``ZOOM_ROUTE``). Explicit credential arguments
    replace the environment's as a whole.

    ``plan`` ("free", "pro", "business"; None turns pacing off) sets the
    client-side limiter to the account's per-second limits; the default
    "auto" means "pro", except for a loopback base URL (a sandbox or test
    server is not Zoom), where pacing is off. ``route`` is
    "direct" (default), "lava", "maton" or a :class:`~zoom_actions.routes.Route`.
    ``upload_dir`` is the only directory file uploads may name by path.
    ``sandbox=True`` (without credentials or base_url) starts the local
    sandbox in memory and runs against it; a path keeps its state in that
    SQLite file.
    """

    def __init__(self, access_token: str | None = None, account_id: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 refresh_token: str | None = None, base_url: str | None = None, token_url: str | None = None,
                 route: Route | str | None = None, timeout: float | httpx.Timeout = 30.0,
                 plan: str | None = "auto", *, sandbox: bool | str | os.PathLike = False,
                 upload_dir: str | os.PathLike | None = None,
                 on_refresh_token: Callable[[str], Any] | None = None,
                 catalog: Catalog | str | os.PathLike | None = None,
                 max_retries: int = 3, retry: RetryPolicy | None = None) -> None:
        explicit = any(v is not None for v in (access_token, account_id, client_id, client_secret, refresh_token))
        self._sandbox = None
        if sandbox is not False and sandbox is not None and not explicit and base_url is None:
            from zoom_actions.sandbox import start_in_thread
            if catalog is not None and not isinstance(catalog, Catalog):
                catalog = load_catalog(catalog)
            # the sandbox serves the same catalog the toolkit executes
            self._sandbox = start_in_thread(db=None if sandbox is True else sandbox, catalog=catalog)
            base_url, access_token, route = self._sandbox.base_url, SANDBOX_TOKEN, "direct"
            explicit = True
        try:
            self._configure(access_token, account_id, client_id, client_secret, refresh_token, base_url, token_url,
                            route, timeout, plan, explicit, upload_dir, on_refresh_token, catalog, max_retries, retry)
        except BaseException:
            self._stop_sandbox()
            raise

    def _configure(self, access_token, account_id, client_id, client_secret, refresh_token, base_url, token_url,
                   route, timeout, plan, explicit, upload_dir, on_refresh_token, catalog, max_retries,
                   retry) -> None:
        if not explicit:
            env = os.environ.get
            access_token, account_id = env("ZOOM_ACCESS_TOKEN") or None, env("ZOOM_ACCOUNT_ID") or None
            client_id, client_secret = env("ZOOM_CLIENT_ID") or None, env("ZOOM_CLIENT_SECRET") or None
            refresh_token = env("ZOOM_REFRESH_TOKEN") or None
        token_url = check_url(token_url or os.environ.get("ZOOM_TOKEN_URL") or DEFAULT_TOKEN_URL, "token_url")
        self.route: Route = resolve(route, base_url)
        if base_url is None and self._sandbox is None and self.route.name == "direct":
            env_base = os.environ.get("ZOOM_BASE_URL")
            if env_base:
                self.route = self.route.with_base(env_base)
        self.catalog: Catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        if plan == "auto":   # Zoom's limits do not apply to a loopback server (sandbox, tests, benchmarks)
            plan = None if is_loopback(urlsplit(self.route.base).hostname) else DEFAULT_PLAN
        self.limiter = RateLimiter(plan) if plan else None
        self.upload_dir = Path(upload_dir).resolve() if upload_dir is not None else None
        self.timeout = timeout   # seconds, or an httpx.Timeout; handed to the clients as is

        for secret in (access_token, client_secret, refresh_token):
            if secret:
                Secret(secret)   # registers it for scrubbing
        provider: Provider | None = None
        self.auth_error: str | None = None
        if self.route.name != "direct":
            if self.route.key:
                provider = GatewayKey(self.route.key, self.route.name)
            else:
                env_name = "LAVA_SECRET_KEY" if self.route.name == "lava" else "MATON_API_KEY"
                self.auth_error = f"The {self.route.name} route needs its key: set {env_name} or pass it to the route."
        elif refresh_token and client_id and client_secret:
            provider = UserOAuth(client_id, client_secret, refresh_token, access_token=access_token,
                                 on_refresh_token=on_refresh_token, token_url=token_url)
        elif account_id and client_id and client_secret:
            provider = ServerToServer(account_id, client_id, client_secret, token_url=token_url)
        elif access_token:
            provider = StaticToken(access_token)
        elif account_id or client_id or client_secret or refresh_token:
            have = [n for n, v in (("account_id", account_id), ("client_id", client_id),
                                   ("client_secret", client_secret), ("refresh_token", refresh_token)) if v]
            self.auth_error = (f"Incomplete Zoom credentials (have {', '.join(have)}): Server-to-Server OAuth needs "
                               "account_id, client_id and client_secret; user OAuth needs client_id, "
                               "client_secret and refresh_token.")
        else:
            self.auth_error = _NO_CREDENTIALS
        self.tokens = TokenManager(provider) if provider is not None else None
        self.auth_kind = provider.kind if provider is not None else None

        self._plans: dict[str, ActionPlan] = {}
        self._plans_lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._aclient: httpx.AsyncClient | None = None
        self._aclient_loop = None
        self._asem: asyncio.Semaphore | None = None
        self._base_headers = {"Accept": "application/json", "User-Agent": _USER_AGENT, **self.route.headers}

    # --- public API -----------------------------------------------------------------

    def execute(self, name: str, params: dict | None = None, *, paginate: bool = False,
                max_pages: int | None = None) -> dict:
        """Run one action; every outcome is an envelope."""
        try:
            flow = self._paginate_flow(name, params, max_pages) if paginate else self._flow(name, params)
            return self._drive(flow)
        except Exception as exc:  # never let an exception escape
            return _internal(name, exc)

    async def aexecute(self, name: str, params: dict | None = None, *, paginate: bool = False,
                       max_pages: int | None = None) -> dict:
        try:
            flow = self._paginate_flow(name, params, max_pages) if paginate else self._flow(name, params)
            return await self._adrive(flow)
        except Exception as exc:
            return _internal(name, exc)

    def pages(self, name: str, params: dict | None = None, *, max_pages: int | None = None) -> Iterator[dict]:
        """Each page's envelope in turn; stops after the last page or a failure."""
        params = dict(params or {}) if isinstance(params, dict) else params
        state = _PageState(max_pages)
        while True:
            try:
                env = self._drive(self._flow(name, params))
            except Exception as exc:
                env = _internal(name, exc)
            yield env
            params = state.next_params(self, name, params, env)
            if params is None:
                return

    async def apages(self, name: str, params: dict | None = None, *,
                     max_pages: int | None = None) -> AsyncIterator[dict]:
        params = dict(params or {}) if isinstance(params, dict) else params
        state = _PageState(max_pages)
        while True:
            try:
                env = await self._adrive(self._flow(name, params))
            except Exception as exc:
                env = _internal(name, exc)
            yield env
            params = state.next_params(self, name, params, env)
            if params is None:
                return

    def tools(self, format: str = "openai", **filters):
        from .adapters import build_tools
        return build_tools(self, format=format, **filters)

    def search(self, query: str, k: int = 5):
        from .search import search
        return search(self.catalog, query, k=k)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._stop_sandbox()

    async def aclose(self) -> None:
        if self._aclient is not None:
            try:
                await self._aclient.aclose()
            finally:
                self._aclient = None
        self.close()

    def __enter__(self) -> "Toolkit":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def __aenter__(self) -> "Toolkit":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        auth = self.tokens.provider if self.tokens else None
        plan = self.limiter.plan if self.limiter else None
        return f"Toolkit(route={self.route!r}, auth={auth!r}, plan={plan!r})"

    # --- planning ---------------------------------------------------------------------

    def plan(self, name: str) -> ActionPlan:
        p = self._plans.get(name)
        if p is None:
            with self._plans_lock:
                p = self._plans.get(name)
                if p is None:
                    p = self._plans[name] = ActionPlan(self.catalog.get(name))
        return p

    def _lookup(self, name: Any) -> ActionPlan | dict:
        p = self._plans.get(name) if isinstance(name, str) else None
        if p is not None:
            return p
        if not isinstance(name, str):
            return fail(f"The action name must be a string, got {type(name).__name__}.")
        if name in self.catalog:
            return self.plan(name)
        upper = name.strip().upper()
        if upper in self.catalog:
            return self.plan(upper)
        if "ZOOM_" + upper in self.catalog:
            return self.plan("ZOOM_" + upper)
        from .suggest import closest
        hint = closest(name[:200], self.catalog.names())
        msg = f"Unknown action {name[:200]!r}."
        if hint:
            msg += " Did you mean " + ", ".join(hint) + "?"
        return fail(msg + " Nothing was sent to Zoom.")

    def _prepare(self, plan: ActionPlan, params: Any) -> _Prepared:
        clean = plan.inputs.normalize(params)
        parts = unflatten(plan.action, clean)
        try:
            path = build_path(plan.template, parts.path)
            query = build_query(parts.query, plan.comma_joined) if parts.query else ""
        except UnicodeEncodeError:
            raise InputError([(_bad_text_param(clean), "contains text that cannot be encoded (invalid Unicode)")]) \
                from None
        headers = self._base_headers
        content = data = files = None
        if parts.headers:
            headers = dict(headers)
            for wire, value in parts.headers.items():
                headers[wire] = header_value(plan.header_names.get(wire, wire), value)
        if plan.multipart:
            if parts.multipart:
                data, files = multipart_parts(parts.multipart, plan.file_fields, self.upload_dir, plan.flat_names)
                if not files:   # httpx sends form-urlencoded without files; force multipart
                    files, data = {k: (None, v) for k, v in data.items()}, None
        elif parts.body is not None:
            plan.inputs.check_body(parts.body)
            try:
                content = json_body(parts.body)
            except UnicodeEncodeError:
                raise InputError([(_bad_text_param(clean), "contains text that cannot be encoded (invalid Unicode)")]) \
                    from None
            except (ValueError, RecursionError):
                raise InputError([(_bad_text_param(clean), "cannot be sent as JSON (NaN or Infinity, or nested too "
                                                           "deeply)")]) from None
            headers = {**headers, "Content-Type": "application/json"}
        if content is None and files is None and self.route.json_body_on_non_get and plan.method != "GET":
            content = b"{}"
            headers = {**headers, "Content-Type": "application/json"}
        return _Prepared(path, query, headers, content, data, files)

    # --- the call, as a generator of I/O requests ----------------------------------------

    def _flow(self, name: Any, params: Any):
        plan = self._lookup(name)
        if type(plan) is dict:
            return plan
        try:
            req = self._prepare(plan, params)
        except InputError as exc:
            return input_failure(plan.name, exc.problems)
        if self.tokens is None:
            return fail(self.auth_error or _NO_CREDENTIALS)
        return (yield from self._send_flow(plan, req))

    def _send_flow(self, plan: ActionPlan, req: _Prepared):
        method = plan.method
        policy = self.retry
        provider = self.tokens.provider
        attempt = 0
        refreshed = False
        failed_token = None
        maybe_delivered = False
        while True:
            if self.limiter is not None:
                wait = self.limiter.reserve(plan.label)
                if wait > 0:
                    yield (_SLEEP, wait)
            token = yield (_TOKEN, failed_token)
            failed_token = None
            if type(token) is not str:
                return fail(f"{plan.name}: {token}")
            url = self.route.url(provider.api_base, req.path, req.query)
            headers = {**req.headers, "Authorization": "Bearer " + token}
            resp = yield (_SEND, method, url, headers, req.content, req.data, req.files)
            if isinstance(resp, BaseException):
                if attempt < policy.max_retries and may_resend_after_error(method, resp):
                    attempt += 1
                    maybe_delivered = maybe_delivered or not not_sent(resp)
                    log.warning("%s: %s; resending (retry %d of %d)", plan.name, type(resp).__name__,
                                attempt, policy.max_retries)
                    yield (_SLEEP, policy.backoff(attempt))
                    continue
                return _transport_failure(plan, resp, attempt)
            status = resp.status_code
            if 200 <= status < 300:
                return ok(_parse_body(resp))
            body = _parse_body(resp)
            code, message = zoom_code(body)
            if status == 401 and provider.refreshable and not refreshed and code in (124, None):
                refreshed = True
                failed_token = token
                log.info("%s: access token rejected (401, code %s); refreshing it once", plan.name, code)
                continue
            if status == 429:
                limit = classify_429(resp.headers, message)
                if limit.daily:
                    return rate_limit_failure(plan.action, body, daily=True, reset=limit.reset, wait=None,
                                              category=limit.category)
                wait = limit.wait if limit.wait is not None else policy.backoff(attempt + 1)
                if attempt < policy.max_retries and wait <= policy.max_wait:
                    attempt += 1
                    log.warning("%s: per-second rate limit (429); waiting %.2f s (retry %d of %d)", plan.name,
                                wait, attempt, policy.max_retries)
                    yield (_SLEEP, wait)
                    continue
                return rate_limit_failure(plan.action, body, daily=False, reset=None, wait=wait,
                                          category=limit.category)
            if attempt < policy.max_retries and may_resend_after_status(method, status):
                attempt += 1
                maybe_delivered = True
                log.warning("%s: HTTP %d; resending (retry %d of %d)", plan.name, status, attempt,
                            policy.max_retries)
                yield (_SLEEP, policy.backoff(attempt))
                continue
            note = None
            if maybe_delivered and status == 404:
                note = ("An earlier attempt may have reached Zoom before the connection failed, so this 404 can "
                        "mean that attempt already succeeded.")
            return http_failure(plan.action, status, body, auth_kind=self.auth_kind, refreshed=refreshed,
                                note=note)

    def _paginate_flow(self, name: Any, params: Any, max_pages: int | None):
        state = _PageState(max_pages)
        merged: dict | None = None
        list_key: str | None = None
        pages = 0
        while True:
            env = yield from self._flow(name, params)
            pages += 1
            if not env["successful"]:
                if merged is None:
                    return env
                return fail(f"Page {pages} failed after {pages - 1} page(s) were read: {env['error']}",
                            data=merged)
            data = env["data"]
            if merged is None:
                if not isinstance(data, dict):
                    return env
                merged = dict(data)
                plan = self._lookup(name)
                list_key = _list_key(plan if type(plan) is ActionPlan else None, data)
                if list_key is not None:
                    merged[list_key] = list(data.get(list_key) or [])
            elif isinstance(data, dict):
                if list_key is not None and isinstance(data.get(list_key), list):
                    merged[list_key].extend(data[list_key])
                for k in ("next_page_token", "page_number"):
                    if k in data:
                        merged[k] = data[k]
            params = state.next_params(self, name, params, env)
            if params is None:
                return ok(merged)

    # --- drivers ------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._client_lock:
                client = self._client
                if client is None:
                    import httpx
                    client = self._client = httpx.Client(timeout=self.timeout, follow_redirects=True)
        return client

    def _ahttp(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aclient_loop is not loop:
            import httpx
            self._aclient = httpx.AsyncClient(timeout=self.timeout, follow_redirects=True,
                                              limits=httpx.Limits(max_connections=_ASYNC_POOL,
                                                                  max_keepalive_connections=50))
            # Callers beyond the pool wait here, not in httpcore's pool queue: that
            # queue is rescanned on every state change, and a burst of 1,000 calls on
            # a fresh client starved the loop for ~35 s (bench/throughput.py).
            self._asem = asyncio.Semaphore(_ASYNC_POOL)
            self._aclient_loop = loop
        return self._aclient

    def _drive(self, flow) -> dict:
        try:
            op = next(flow)
            while True:
                kind = op[0]
                if kind == _SEND:
                    try:
                        result = self._http().request(op[1], op[2], headers=op[3], content=op[4], data=op[5],
                                                      files=op[6])
                    except Exception as exc:
                        result = exc
                elif kind == _TOKEN:
                    try:
                        result = self.tokens.get(self._http(), op[1])
                    except AuthFailure as exc:
                        result = exc
                else:
                    time.sleep(op[1])
                    result = None
                op = flow.send(result)
        except StopIteration as stop:
            return stop.value

    async def _adrive(self, flow) -> dict:
        try:
            op = next(flow)
            while True:
                kind = op[0]
                if kind == _SEND:
                    client = self._ahttp()
                    try:
                        async with self._asem:
                            result = await client.request(op[1], op[2], headers=op[3], content=op[4],
                                                          data=op[5], files=op[6])
                    except Exception as exc:
                        result = exc
                elif kind == _TOKEN:
                    try:
                        result = await self.tokens.aget(self._ahttp(), op[1])
                    except AuthFailure as exc:
                        result = exc
                else:
                    await asyncio.sleep(op[1])
                    result = None
                op = flow.send(result)
        except StopIteration as stop:
            return stop.value

    def _stop_sandbox(self) -> None:
        sb, self._sandbox = self._sandbox, None
        if sb is not None:
            stop = getattr(sb, "stop", None) or getattr(sb, "close", None) or getattr(sb, "shutdown", None)
            if callable(stop):
                stop()


# --- helpers ---------------------------------------------------------------------------

class _PageState:
    """Which params fetch the next page (next_page_token, else page_number)."""

    def __init__(self, max_pages: int | None) -> None:
        self.max_pages = max_pages
        self.pages = 0
        self.seen: set = set()

    def next_params(self, tk: Toolkit, name: Any, params: Any, env: dict) -> dict | None:
        self.pages += 1
        if not env.get("successful") or not isinstance(env.get("data"), dict):
            return None
        if self.max_pages is not None and self.pages >= self.max_pages:
            return None
        if self.pages >= _PAGE_SAFETY:
            return None
        plan = tk._lookup(name)
        if type(plan) is dict:
            return None
        data = env["data"]
        base = dict(params) if isinstance(params, dict) else {}
        token = data.get("next_page_token")
        if plan.has_token and isinstance(token, str) and token:
            if token in self.seen:
                return None
            self.seen.add(token)
            base["next_page_token"] = token
            return base
        number, count = data.get("page_number"), data.get("page_count")
        if (plan.has_page_number and not token and isinstance(number, int) and isinstance(count, int)
                and number < count):
            base["page_number"] = number + 1
            return base
        return None


def _list_key(plan: ActionPlan | None, data: dict) -> str | None:
    if plan is not None:
        for key in plan.list_fields:
            if isinstance(data.get(key), list):
                return key
    for key, value in data.items():
        if isinstance(value, list):
            return key
    return None


def _parse_body(resp: httpx.Response) -> Any:
    if resp.status_code == 204:
        return {}
    content = resp.content
    ctype = resp.headers.get("content-type", "")
    if not content:
        return {}
    if "json" in ctype or (not ctype and content[:1] in (b"{", b"[")):
        try:
            return json.loads(content)
        except ValueError:
            pass
    main = ctype.split(";")[0].strip().lower()
    if main.startswith("text/") or main.endswith(("json", "xml", "+xml")) or "charset=" in ctype.lower():
        return {"content": resp.text, "content_type": ctype}
    try:
        return {"content": content.decode("utf-8"), "content_type": ctype or "application/octet-stream"}
    except UnicodeDecodeError:
        return {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64",
                "content_type": ctype or "application/octet-stream"}


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


def _internal(name: Any, exc: BaseException) -> dict:
    log.error("internal error in %s: %s", name if isinstance(name, str) else "?", type(exc).__name__,
              exc_info=log.isEnabledFor(logging.DEBUG))
    label = name if isinstance(name, str) else "the action"
    return fail(f"Internal error while running {label[:200]}: {type(exc).__name__}: {scrub(str(exc))[:500]}. "
                "Nothing more is known; please report it.")


def _bad_text_param(clean: dict) -> str:
    """The first parameter whose value cannot go on the wire."""
    for k, v in clean.items():
        try:
            json.dumps(v, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
            return k
    return ""
