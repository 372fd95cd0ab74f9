"""The public API: ``Toolkit.execute(name, params)`` -> ``{data, successful, error}``.

What happens in a call lives beside it: :mod:`.prepare` builds the request,
:mod:`.flow` decides (sans-IO) and its drivers do the I/O, :mod:`.pagination`
follows pages, :mod:`.auth` chooses the credential, :mod:`.gateways` says
where requests go, :mod:`.hooks` is where policies and audit attach,
:mod:`.transport` bounds the HTTP client in time and size.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

from . import __version__, shaping
from .auth import DEFAULT_TOKEN_URL, NO_CREDENTIALS, Provider, TokenManager, toolkit_provider
from .catalog import Catalog, load_catalog
from .errors import InputError, fail, input_failure, internal_failure as _internal
from .flow import CallSettings, adrive, drive, send_flow
from .gateways import Gateway, check_url, resolve
from .hooks import HookMethods, Hooks, abefore, aafter, after, before
from .limiter import toolkit_limiter
from .pagination import aiter_pages, collect_flow, iter_pages
from .prepare import DEFAULT_MAX_UPLOAD, ActionPlan, build_request
from .workflows import WorkflowPlan, arun as _arun_workflow, is_workflow, run as _run_workflow
from .redact import filter_client_loggers, install_log_filter
from .retry import RetryPolicy
from .session import HTTPSession
from .transport import DEFAULT_MAX_RESPONSE, attempt_seconds as _attempt_seconds

log = logging.getLogger("zoom_actions")
install_log_filter(log)

_USER_AGENT = f"zoom-actions/{__version__} (python-httpx2)"
SANDBOX_TOKEN = "zoom-actions-sandbox-token"   # not a secret; spelled so masking never hides "sandbox"
DEFAULT_DEADLINE = 300.0


class Toolkit(HookMethods):
    """Execute any Zoom action and get ``{"data", "successful", "error"}`` back.

    Credentials: ``auth=`` (a provider object from :mod:`zoom_actions.auth`),
    or the credential arguments, else the environment (``ZOOM_ACCESS_TOKEN``;
    ``ZOOM_ACCOUNT_ID`` + ``ZOOM_CLIENT_ID`` + ``ZOOM_CLIENT_SECRET``;
    ``ZOOM_REFRESH_TOKEN``). ``gateway`` ("direct", "lava", "maton" or a
    :class:`~zoom_actions.gateways.Gateway`; ``route=`` is its old name).
    ``account_plan`` ("free", "pro", "business"; None: no pacing; "auto":
    "pro", or off for a loopback server; ``plan=`` is its old name).
    ``timeout`` bounds each attempt as a whole, ``deadline`` the whole call
    (retries and waits included). Answers over ``max_response_bytes`` and
    uploads over ``max_upload_bytes`` are refused with an envelope naming
    the cap. ``transport`` is any transport of the HTTP client (httpx2).
    ``sandbox=True`` runs against the local sandbox in process (a path keeps
    its state in that SQLite file): no thread, no socket. ``connection`` /
    ``user_id``: a stored connected account. ``store`` (else
    ``ZOOM_ACTIONS_STORE``) also shares a Server-to-Server token
    (:mod:`.shared_token`) and, on Redis, the account's rate limits
    (``limiter_fallback``: "local" or "refuse" while Redis is away).
    """

    def __init__(self, access_token: str | None = None, account_id: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 refresh_token: str | None = None, base_url: str | None = None, token_url: str | None = None,
                 route: Gateway | str | None = None, timeout: Any = 30.0, plan: str | None = "auto", *,
                 sandbox: bool | str | os.PathLike = False, upload_dir: str | os.PathLike | None = None,
                 on_refresh_token: Callable[[str], Any] | None = None,
                 catalog: Catalog | str | os.PathLike | None = None, max_retries: int = 3,
                 retry: RetryPolicy | None = None, auth: Provider | None = None,
                 gateway: Gateway | str | None = None, account_plan: Any = "unset", transport: Any = None,
                 deadline: float | None = DEFAULT_DEADLINE, max_response_bytes: int = DEFAULT_MAX_RESPONSE,
                 max_upload_bytes: int = DEFAULT_MAX_UPLOAD, connection: str | None = None,
                 user_id: str | None = None, store: Any = None, connect_url: str | None = None,
                 policy: Any = None, agent: str | None = None, approver: Any = None, dry_run: bool = False,
                 limiter_fallback: str | None = None) -> None:
        creds = dict(access_token=access_token, account_id=account_id, client_id=client_id,
                     client_secret=client_secret, refresh_token=refresh_token)
        explicit = auth is not None or any(v is not None for v in creds.values())
        self.catalog: Catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self._sandbox = None
        if sandbox not in (False, None) and not explicit and base_url is None:
            from .sandbox import open_in_process
            self._sandbox = open_in_process(db=None if sandbox is True else sandbox, catalog=self.catalog)
            base_url, transport, gateway = self._sandbox.base_url, self._sandbox.transport, "direct"
            creds["access_token"], explicit = SANDBOX_TOKEN, True
        token_url = check_url(token_url or os.environ.get("ZOOM_TOKEN_URL") or DEFAULT_TOKEN_URL, "token_url")
        self.gateway: Gateway = resolve(gateway if gateway is not None else route, base_url)
        if base_url is None and self.gateway.name == "direct" and os.environ.get("ZOOM_BASE_URL"):
            self.gateway = self.gateway.with_base(os.environ["ZOOM_BASE_URL"])
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        account_plan = plan if account_plan == "unset" else account_plan
        self.upload_dir = Path(upload_dir).resolve() if upload_dir is not None else None
        self.timeout = timeout
        self.deadline = deadline
        self.max_upload_bytes = max_upload_bytes
        provider, self.auth_error = toolkit_provider(self.gateway, auth, creds, token_url=token_url, store=store,
                                                     on_refresh_token=on_refresh_token, from_env=not explicit)
        # connected accounts: Toolkit(connection=, user_id=) by default, execute(connection=, user_id=) per call
        self.connection, self.user_id, self._store_url = connection, user_id, store
        self.connect_url = connect_url or os.environ.get("ZOOM_ACTIONS_CONNECT_URL") or None
        self._registry = None
        self.tokens = TokenManager(provider) if provider is not None else None
        self.limiter = toolkit_limiter(account_plan, self.gateway.base, store, provider, connection, user_id,
                                       limiter_fallback)   # per second, daily, per user; shared on Redis
        self.auth_kind = provider.kind if provider is not None else None
        self.hooks, self.governor = Hooks(), None
        if policy is not None or agent is not None or approver is not None or dry_run or os.environ.get(
                "ZOOM_ACTIONS_POLICY"):   # governance: policies, approval, dry runs, audit (see governance/)
            from .governance import Governor
            Governor(policy, agent=agent, approver=approver, dry_run=dry_run).attach(self)
        self._plans: dict[str, ActionPlan] = {}
        self._plans_lock = threading.Lock()
        self._base_headers = {"Accept": "application/json", "User-Agent": _USER_AGENT, **self.gateway.headers}
        self._http = HTTPSession(timeout, transport, max_response_bytes, self.tokens)
        filter_client_loggers()

    @property
    def route(self) -> Gateway:   # the old name of `gateway`
        return self.gateway

    @route.setter
    def route(self, value: Gateway) -> None:
        self.gateway = value

    def dry_run_envelope(self, name: str, params: dict) -> dict:
        """The exact request ``execute`` would send (secrets masked), without sending it."""
        from .governance.dryrun import dry_run_envelope
        return dry_run_envelope(self, self.plan(name), params)

    # --- calls ------------------------------------------------------------------------

    def execute(self, name: str, params: dict | None = None, *, paginate: bool = False,
                max_pages: int | None = None, connection: str | None = None, user_id: str | None = None,
                select: Any = None, budget: int | None = None) -> dict:
        """Run one action; every outcome is an envelope. ``connection`` / ``user_id``: whose stored Zoom
        connection to call with (default: the Toolkit's). ``select`` (JMESPath or field paths) and ``budget``
        (tokens) make the answer lean (:mod:`.shaping`); a model's tool call carries them in ``params``."""
        try:
            plan, clean, env, lean = self._begin(name, params, select, budget)
            if env is None:
                clean, env = before(self.hooks, plan, clean)
            if env is None:
                env = _run_workflow(self, plan, clean, (connection, user_id)) if type(plan) is WorkflowPlan \
                    else drive(self._flow(plan, clean, paginate, max_pages, (connection, user_id)), self._http)
            env = after(self.hooks, plan, env) if plan is not None else env
            return lean.apply(env, plan) if lean is not None else env
        except Exception as exc:  # never let an exception escape
            return _internal(name, exc)

    async def aexecute(self, name: str, params: dict | None = None, *, paginate: bool = False,
                       max_pages: int | None = None, connection: str | None = None,
                       user_id: str | None = None, select: Any = None, budget: int | None = None) -> dict:
        try:
            plan, clean, env, lean = self._begin(name, params, select, budget)
            if env is None:
                clean, env = await abefore(self.hooks, plan, clean)
            if env is None:
                env = await _arun_workflow(self, plan, clean, (connection, user_id)) if type(plan) is WorkflowPlan \
                    else await adrive(self._flow(plan, clean, paginate, max_pages, (connection, user_id)), self._http)
            env = await aafter(self.hooks, plan, env) if plan is not None else env
            return lean.apply(env, plan) if lean is not None else env
        except Exception as exc:
            return _internal(name, exc)

    def pages(self, name: str, params: dict | None = None, *, max_pages: int | None = None) -> Iterator[dict]:
        """Each page's envelope in turn; stops after the last page or a failure."""
        return iter_pages(self.execute, self._lookup(name), name, params, max_pages)

    def apages(self, name: str, params: dict | None = None, *, max_pages: int | None = None) -> AsyncIterator[dict]:
        return aiter_pages(self.aexecute, self._lookup(name), name, params, max_pages)

    def tools(self, format: str = "openai", **filters):
        from .adapters import build_tools
        return build_tools(self, format=format, **filters)

    def search(self, query: str, k: int = 5, products=None):
        """The ``k`` best action names for a task; master-account products
        only when ``products`` names them (or is ``"all"``)."""
        from .adapters.selection import select_names
        return select_names(self.catalog, products=products, search=query, limit=k)

    def plan(self, name: str) -> ActionPlan:
        p = self._plans.get(name)
        if p is None:
            with self._plans_lock:
                p = self._plans.get(name)
                if p is None:
                    doc = self.catalog.get(name)   # a workflow (spec/workflows.json) runs its steps instead
                    p = self._plans[name] = WorkflowPlan(doc) if is_workflow(doc) else ActionPlan(doc)
        return p

    # --- the pieces of a call -----------------------------------------------------------

    def _begin(self, name: Any, params: Any, select: Any, budget: Any) -> tuple:
        """(plan, validated params, an envelope that ends the call, the call's shaping). ``select`` and
        ``budget`` (or those keys of params) are taken out and checked first: a bad one sends nothing."""
        plan = self._lookup(name)
        if type(plan) is dict:
            return None, None, plan, None
        params, lean, problems = shaping.for_call(plan.action, params, select, budget)
        try:
            if problems:
                raise InputError(problems)
            return plan, plan.inputs.normalize(params), None, lean
        except InputError as exc:
            return plan, None, input_failure(plan.name, exc.problems), None

    def _flow(self, plan: ActionPlan, clean: dict, paginate: bool, max_pages: int | None, who: tuple = (None, None)):
        if paginate:
            return collect_flow(lambda p: self._one(plan, p, p is clean, who), plan, clean, max_pages)
        return self._one(plan, clean, True, who)

    @property
    def connections(self):
        """The connected accounts in the store (``Toolkit(store=...)``, else ``ZOOM_ACTIONS_STORE``)."""
        if self._registry is None:
            from .connections import TokenRegistry
            self._registry = TokenRegistry(self._store_url)
        return self._registry.connections

    def _tokens_for(self, who: tuple):
        """A call's TokenManager: a stored connection's when one is named (per call or for the Toolkit),
        else the Toolkit's own; or the envelope that says what is missing."""
        connection, user_id = who[0] or self.connection, who[1] or self.user_id
        if connection is None and user_id is None:
            return self.tokens if self.tokens is not None else fail(self.auth_error or NO_CREDENTIALS)
        self.connections   # noqa: B018 - opens the registry
        return self._registry.manager(connection, user_id, plan_name=None, connect_url=self.connect_url)

    def _one(self, plan: ActionPlan, params: dict, validated: bool, who: tuple = (None, None)):
        try:
            req = build_request(plan, params, self.gateway, base_headers=self._base_headers,
                                upload_dir=self.upload_dir, max_upload=self.max_upload_bytes,
                                clean=params if validated else None)
        except InputError as exc:
            return input_failure(plan.name, exc.problems)
        tokens = self._tokens_for(who)
        if type(tokens) is dict:
            return {**tokens, "error": tokens["error"].replace("{action}", plan.name)}
        now = time.monotonic()
        limiter = self.limiter.for_call(*who) if self.limiter is not None and (who[0] or who[1]) else self.limiter
        cfg = CallSettings(self.gateway, tokens.provider, self.retry, limiter, tokens.provider.kind,
                           _attempt_seconds(self.timeout), now + (self.deadline or math.inf), tokens)
        return (yield from send_flow(plan, req, cfg))

    def _lookup(self, name: Any) -> ActionPlan | dict:
        p = self._plans.get(name) if isinstance(name, str) else None
        if p is not None:
            return p
        if not isinstance(name, str):
            return fail(f"The action name must be a string, got {type(name).__name__}.")
        for candidate in (name, name.strip().upper(), "ZOOM_" + name.strip().upper()):
            if candidate in self.catalog:
                return self.plan(candidate)
        from .suggest import closest
        hint = closest(name[:200], self.catalog.names())
        return fail(f"Unknown action {name[:200]!r}." + (" Did you mean " + ", ".join(hint) + "?" if hint else "")
                    + " Nothing was sent to Zoom.")

    # --- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()
        if self.governor is not None:
            self.governor.close()
        sb, self._sandbox = self._sandbox, None
        if sb is not None:
            sb.close()
        close_auth = getattr(self.tokens.provider, "close", None) if self.tokens is not None else None
        if close_auth is not None:   # a shared token's store (shared_token.py)
            close_auth()

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
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
        return f"Toolkit(gateway={self.gateway!r}, auth={auth!r}, account_plan={plan!r})"

