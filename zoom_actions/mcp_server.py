"""The catalog as an MCP server (official ``mcp`` SDK, low-level ``Server``).

Two shapes:

* **tools** (default): one MCP tool per selected action. ``tools/list``
  carries each action's flat input schema, an ``outputSchema`` and the
  behaviour hints (``readOnlyHint``, ``destructiveHint``, ``idempotentHint``,
  ``openWorldHint``); ``tools/call`` returns the envelope as
  ``structuredContent`` and the same JSON as text content, with ``isError``
  set when the envelope says ``successful: false``.
* **discovery** (``discovery=True``, for large catalogs): three tools,
  ``search_actions``, ``get_action_schema`` and ``execute_action``, over the
  same selection, so a client's context holds three definitions instead of
  hundreds.
* **events** (``events=...``, either shape): ``zoom_events_recent`` and
  ``zoom_events_wait`` over the durable event log (``mcp_events`` says why
  tools rather than resource subscriptions); they count toward a profile's cap.

``output_schema`` picks what ``outputSchema`` says about ``data``:
``"envelope"`` (default) names the envelope's keys and leaves ``data`` open,
since Zoom's answers do not always match its documented response schemas and
clients such as the SDK's reject a result that contradicts the declared
schema (the envelope itself is described once, in the instructions);
``"full"`` declares Zoom's documented response schema, so its tools take no
``select``/``budget`` (a selected answer would contradict it); ``"none"``
omits ``outputSchema``. Action tools take ``select`` and ``budget``
(:mod:`.shaping`); the text content is the same compact JSON as
``structuredContent``.

Transports: ``run_stdio(server)``; ``serve_http(server, host, port)`` (the
streamable HTTP transport at ``/mcp``); ``start_http_in_thread`` for tests
and embedding. Needs the ``mcp`` extra.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
import time
from typing import Any

from . import describe
from .adapters import build_tools, parse_arguments, prepare_arguments, select_names
from .shaping import split_params

log = logging.getLogger(__name__)

OUTPUT_SCHEMA_MODES = ("envelope", "full", "none")
SERVER_NAME = "zoom-actions"

# The envelope is described once, in the server's instructions (ENVELOPE_TEXT); each tool's outputSchema only
# names its three keys. Repeating the described schema on every tool was a quarter of a 128-tool tools/list.
ENVELOPE_SCHEMA = {"type": "object", "required": ["data", "successful", "error"]}
ENVELOPE_TEXT = (
    "Every action tool answers the envelope {data, successful, error}: data is Zoom's response body ({} for "
    "204; {content, content_type} for non-JSON), successful says whether Zoom accepted the call, error is null "
    "on success, else what went wrong and what to do. Every action tool also takes two optional arguments: "
    "select keeps only parts of data (field paths such as [\"meetings[].id\", \"next_page_token\"], or one "
    "JMESPath expression) and budget caps data in tokens; an answer over budget keeps its first list items (or "
    "its top-level fields) and says in data._truncated how many were left out and how to get them.")

DISCOVERY_TOOLS = ("search_actions", "get_action_schema", "execute_action")
# How many tools a client can use at once. VS Code caps a request at 128 tools, Cursor warns past about 40,
# OpenAI takes 128 per request; for Claude we chose 64 (no published cap; past a few dozen tools selection
# suffers). "full": every tool, paginated. A client is recognized by its `initialize` clientInfo.name.
PROFILES: dict[str, int | None] = {"vscode": 128, "cursor": 40, "openai": 128, "claude": 64, "default": 128,
                                   "full": None}
_CLIENT_HINTS = (("visual studio code", "vscode"), ("vscode", "vscode"), ("copilot", "vscode"), ("cursor", "cursor"),
                 ("claude", "claude"), ("openai", "openai"), ("codex", "openai"))
PAGE_SIZE = 100


def _require_mcp():
    try:
        import mcp.types as types
        from mcp.server.lowlevel import Server
    except ImportError:
        raise ImportError("the MCP server needs the official MCP SDK: pip install 'zoom-actions[mcp]'") from None
    return types, Server


def _envelope_result(types, envelope: dict):
    text = json.dumps(envelope, ensure_ascii=False, default=str, separators=(",", ":"))   # compact: fewer tokens
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                structured_content=envelope,
                                is_error=not bool(envelope.get("successful")))


def _error_result(types, message: str):
    envelope = {"data": {}, "successful": False, "error": message}
    return _envelope_result(types, envelope)


class ActionServer:
    """Holds the selection and the toolkit; ``server`` is the SDK's ``Server``."""

    def __init__(self, toolkit, *, names=None, products=None, tags=None, read_only=None, scopes=None,
                 search=None, limit=None, description: str = "compact", discovery: bool = False,
                 output_schema: str = "envelope", profile: str | None = None, events=None) -> None:
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.profile = profile
        if output_schema not in OUTPUT_SCHEMA_MODES:
            raise ValueError(f"output_schema must be one of {OUTPUT_SCHEMA_MODES}")
        if description not in describe.MODES:
            raise ValueError(f"description must be one of {describe.MODES}")
        self.toolkit = toolkit
        self.catalog = toolkit.catalog
        self.description = description
        self.discovery = discovery
        self.output_schema = output_schema
        self.names = select_names(self.catalog, names=names, products=products, tags=tags, read_only=read_only,
                                  scopes=scopes, search=search, limit=limit)
        self.allowed = set(self.names)
        self._tools: list | None = None
        self._schemas: dict | None = None
        self.types, Server = _require_mcp()
        instructions = "Zoom's REST API as tools. " + ENVELOPE_TEXT + " For user-level apps pass `me` as userId."
        if discovery:
            instructions += (" Find an action with search_actions, read its parameters with get_action_schema, "
                             "then run it with execute_action.")
        from .mcp_events import EventTools
        self.event_tools = EventTools.from_option(events)   # zoom_events_recent/_wait, listed beside the others
        if self.event_tools is not None:
            instructions += (" Zoom's events (a participant joined, a recording is ready) are read with "
                             "zoom_events_recent and awaited with zoom_events_wait.")
        from . import __version__
        self.server = Server(SERVER_NAME, version=__version__, instructions=instructions,
                             get_tool_input_schema=self._input_schema,
                             on_list_tools=self._list_tools, on_call_tool=self._call_tool)

    # --- tools/list -----------------------------------------------------------------

    def tool_dicts(self) -> list[dict]:
        """The tool objects (wire shape) this server lists."""
        if self.discovery:
            return _discovery_tools(len(self.names))
        tools = build_tools(self.toolkit, format="mcp", names=self.names, description=self.description,
                            on_unrepresentable="skip", governed=False,   # filtered per client in tools/list
                            shaping=self.output_schema != "full")
        for tool in tools:
            if self.output_schema == "envelope":
                tool["outputSchema"] = ENVELOPE_SCHEMA
            elif self.output_schema == "none":
                tool.pop("outputSchema", None)
        return tools

    def tools(self) -> list:
        if self._tools is None:
            self._tools = [self.types.Tool.model_validate(t) for t in self.tool_dicts()]
        return self._tools

    def _input_schema(self, name: str) -> dict | None:
        if self._schemas is None:
            self._schemas = {tool.name: tool.input_schema for tool in self.tools()}
        return self._schemas.get(name)

    def profile_for(self, ctx) -> str:
        """``--profile``, else the one the client's name suggests, else ``default``."""
        if self.profile:
            return self.profile
        info = getattr(getattr(getattr(ctx, "session", None), "client_params", None), "client_info", None)
        name = str(getattr(info, "name", "") or "").lower()
        return next((p for hint, p in _CLIENT_HINTS if hint in name), "default")

    def _visible(self) -> list:
        tools = self.tools()
        visible = self._visible_names()
        if len(visible) == len(self.names):
            return tools
        allowed = set(visible)
        return [t for t in tools if t.name in allowed]

    def _event_tools(self, types) -> list:
        """The event tools this client may call (none without ``events=``)."""
        if self.event_tools is None:
            return []
        governor = getattr(self.toolkit, "governor", None)
        tools = self.event_tools.tools(types)
        if governor is None:
            return tools
        from .mcp_auth import caller_agent
        from .mcp_events import policy_entry
        agent = caller_agent() or governor.agent
        return [t for t in tools if governor.tool_visible(policy_entry(t.name), agent)]

    async def _call_event_tool(self, types, name: str, arguments: dict):
        governor = getattr(self.toolkit, "governor", None)
        if governor is None:
            return await self.event_tools.call(types, name, arguments)
        import time
        from .governance.enforce import current_agent
        from .mcp_auth import caller_agent
        from .mcp_events import policy_entry
        entry, started = policy_entry(name), time.perf_counter()
        token = current_agent.set(caller_agent())
        try:
            decision, refusal = governor.check_tool(entry, arguments)
            result = _envelope_result(types, refusal) if refusal is not None else \
                await self.event_tools.call(types, name, arguments)
            failed = refusal is not None or bool(getattr(result, "is_error", False))
            governor.record_tool(entry, arguments, decision, refusal or {"successful": not failed, "error": (
                (getattr(result, "structured_content", None) or {}).get("error") if failed else None)}, started)
            return result
        finally:
            current_agent.reset(token)

    def _visible_names(self) -> list[str]:
        """The selection this client may call (each client sees what its policy lets it call)."""
        governor = getattr(self.toolkit, "governor", None)
        if governor is None:
            return self.names
        from .mcp_auth import caller_agent
        agent = caller_agent() or governor.agent
        return [n for n in self.names if governor.visible(n, agent)]

    async def _list_tools(self, ctx, params):
        types = self.types
        extra = self._event_tools(types)
        if self.discovery:
            return types.ListToolsResult(tools=self.tools() + extra)
        cap = PROFILES[self.profile_for(ctx)]
        count = len(self._visible_names())   # decided on names: building 1,679 definitions to count them took 4 s
        if cap is not None and count + len(extra) > cap:   # more than the client can use: discovery, and say so
            return types.ListToolsResult(tools=[types.Tool.model_validate(t) for t in _discovery_tools(
                count, note=f"This server holds {count} actions, more than this client's "
                            f"{cap}-tool profile ({self.profile_for(ctx)}); find them with search_actions.")]
                + extra)
        tools = self._visible() + extra
        cursor = getattr(params, "cursor", None) if params is not None else None
        start = 0
        if cursor:
            try:
                start = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("offset:"))
                if start < 0 or start >= len(tools):
                    raise ValueError
            except (ValueError, UnicodeDecodeError, binascii.Error):
                from mcp.shared.exceptions import MCPError
                raise MCPError(-32602, f"Invalid cursor {cursor[:40]!r}: pass the nextCursor of the previous page") \
                    from None
        page = tools[start:start + PAGE_SIZE]
        following = start + PAGE_SIZE
        next_cursor = base64.urlsafe_b64encode(f"offset:{following}".encode()).decode() \
            if following < len(tools) else None
        return types.ListToolsResult(tools=page, next_cursor=next_cursor)

    def _auto_discovery(self) -> bool:
        """Whether some client may be served the discovery tools (the selection exceeds a profile)."""
        return self.discovery or len(self.names) > min(c for c in PROFILES.values() if c)

    # --- tools/call -----------------------------------------------------------------

    async def _execute(self, name: str, arguments: Any, ctx=None, params=None) -> Any:
        action = self.catalog.get(name)
        prepared = prepare_arguments(action, arguments)
        from .governance.enforce import current_agent, mcp_grant
        from .mcp_auth import caller_agent, caller_connection
        connection, user_id = caller_connection()   # the authenticated client's Zoom connection, if it has one
        who = {"connection": connection, "user_id": user_id} if connection or user_id else {}
        token = current_agent.set(caller_agent())   # the client is the agent its policy names
        grant = None
        try:
            if ctx is not None:   # approver="mcp": ask the client's user first (mcp_approval)
                from .mcp_approval import gate
                answer, approval = gate(ctx, self.types, params, self.toolkit, name, prepared)
                if answer is not None:
                    return answer
                grant = mcp_grant.set(approval) if approval else None
            params = prepared
            aexecute = getattr(self.toolkit, "aexecute", None)
            if aexecute is not None:
                return await aexecute(name, params, **who)
            return await asyncio.to_thread(self.toolkit.execute, name, params, **who)
        finally:
            current_agent.reset(token)
            if grant is not None:
                mcp_grant.reset(grant)

    async def _ask_to_connect(self, ctx, params, env: dict):
        """An authorization-required envelope with a connect URL, for a client
        that declares URL-mode elicitation: the call answers "input required"
        with the connect page; once the client has shown it (and the user
        connected), the call runs again. Other clients get the envelope."""
        data = env.get("data") if isinstance(env, dict) else None
        if not (isinstance(data, dict) and data.get("authorization_required") and data.get("connect_url")):
            return env
        types = self.types
        answered = (getattr(params, "input_responses", None) or {}).get("connect")
        if answered is not None:
            if getattr(answered, "action", None) != "accept":
                return {**env, "error": env["error"] + " The user declined to open the connect page."}
            again = await self._execute(params.name, params.arguments or {})
            if isinstance(again.get("data"), dict) and again["data"].get("authorization_required"):
                return {**again, "error": again["error"] + " The user was shown the connect page; call again "
                                                           "once they have connected."}
            return again
        try:
            wants_url = ctx.session.check_client_capability(
                types.ClientCapabilities(elicitation=types.ElicitationCapability(url=types.UrlElicitationCapability())))
        except Exception:  # noqa: BLE001 - a session that cannot say: the envelope
            wants_url = False
        if not wants_url:
            return env
        import uuid
        ask = types.ElicitRequest(params=types.ElicitRequestURLParams(
            message="Connect your Zoom account to continue.", url=data["connect_url"], elicitation_id=uuid.uuid4().hex))
        return types.InputRequiredResult(input_requests={"connect": ask})

    def _unknown(self, name: str) -> str:
        from .suggest import closest
        pool = DISCOVERY_TOOLS if self.discovery else self.names
        hint = closest(str(name)[:200], pool)
        return f"No tool named {str(name)[:200]!r} on this server." + (
            f" Did you mean {', '.join(hint)}?" if hint else "")

    async def _call_tool(self, ctx, params):
        types = self.types
        name, arguments = params.name, params.arguments or {}
        try:
            if self.event_tools is not None and name in self.event_tools.names:
                return await self._call_event_tool(types, name, arguments)
            if self.discovery or (name in DISCOVERY_TOOLS and name not in self.allowed and self._auto_discovery()):
                return await self._call_discovery(name, arguments)
            if name not in self.allowed:
                return _error_result(types, self._unknown(name))
            if self.output_schema == "full" and split_params(self.catalog.get(name), arguments)[1]:
                return _error_result(types, "select and budget are not served with output_schema='full': the answer "
                                            "must match Zoom's documented schema. Nothing was sent to Zoom.")
            env = await self._execute(name, arguments, ctx, params)
            if isinstance(env, types.InputRequiredResult):   # a person must approve it first
                return env
            env = await self._ask_to_connect(ctx, params, env)
            return env if isinstance(env, types.InputRequiredResult) else _envelope_result(types, env)
        except ValueError as exc:  # unparseable arguments
            return _error_result(types, f"{exc}. Nothing was sent to Zoom.")

    async def _call_discovery(self, name: str, arguments: dict):
        types = self.types
        if name == "search_actions":
            query = str(arguments.get("query") or "")
            k = arguments.get("k") or 5
            try:
                k = max(1, min(int(k), 50))
            except (TypeError, ValueError):
                k = 5
            from .search import search
            hits = search(self.catalog, query, k=k, names=self.names)
            results = [{"name": n, "title": self.catalog.entry(n)["title"],
                        "description": describe.tool_description(self.catalog.get(n), "compact"),
                        "read_only": bool(self.catalog.entry(n)["annotations"]["read_only"])} for n in hits]
            payload = {"results": results}
            return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(payload))],
                                        structured_content=payload)
        if name == "get_action_schema":
            action_name = arguments.get("name")
            if action_name not in self.allowed:
                return _error_result(types, self._unknown_action(action_name))
            tool = build_tools(self.toolkit, format="mcp", names=[action_name], description=self.description)[0]
            payload = {"name": action_name, "title": tool["title"], "description": tool["description"],
                       "input_schema": tool["inputSchema"], "annotations": tool["annotations"]}
            if self.output_schema == "full":
                payload["output_schema"] = tool["outputSchema"]
            return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(payload))],
                                        structured_content=payload)
        if name == "execute_action":
            action_name = arguments.get("name")
            if action_name not in self.allowed:
                return _error_result(types, self._unknown_action(action_name))
            return _envelope_result(types, await self._execute(action_name, parse_arguments(
                arguments.get("arguments"))))
        return _error_result(types, self._unknown(name))

    def _unknown_action(self, name: Any) -> str:
        from .suggest import closest
        hint = closest(str(name)[:200], self.names)
        return (f"No action named {str(name)[:200]!r} is served here." +
                (f" Did you mean {', '.join(hint)}?" if hint else "") + " Use search_actions to find one.")


def _discovery_tools(count: int, note: str = "") -> list[dict]:
    tools = _discovery_tool_list(count)
    if note:
        tools[0]["description"] = note + " " + tools[0]["description"]
    return tools


def _discovery_tool_list(count: int) -> list[dict]:
    return [
        {
            "name": "search_actions",
            "title": "Search Zoom actions",
            "description": f"Find Zoom API actions for a task, best first ({count} actions available). "
                           "Returns names to pass to get_action_schema and execute_action.",
            "inputSchema": {"type": "object", "properties": {
                "query": {"type": "string", "description": "The task in plain words, e.g. 'who attended my "
                                                           "last meeting'."},
                "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5,
                      "description": "How many actions to return."}},
                "required": ["query"], "additionalProperties": False},
            "outputSchema": {"type": "object", "properties": {"results": {"type": "array", "items": {
                "type": "object", "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                                                 "description": {"type": "string"},
                                                 "read_only": {"type": "boolean"}},
                "required": ["name", "title", "description", "read_only"]}}}, "required": ["results"]},
            "annotations": {"title": "Search Zoom actions", "readOnlyHint": True, "destructiveHint": False,
                            "idempotentHint": True, "openWorldHint": False},
        },
        {
            "name": "get_action_schema",
            "title": "Get a Zoom action's parameters",
            "description": "The description, parameters (JSON Schema) and behaviour hints of one action.",
            "inputSchema": {"type": "object", "properties": {
                "name": {"type": "string", "description": "Action name from search_actions, e.g. ZOOM_GET_A_MEETING."}},
                "required": ["name"], "additionalProperties": False},
            "outputSchema": {"type": "object", "properties": {
                "name": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                "input_schema": {"type": "object"}, "annotations": {"type": "object"},
                "output_schema": {"type": "object"}},
                "required": ["name", "title", "description", "input_schema", "annotations"]},
            "annotations": {"title": "Get a Zoom action's parameters", "readOnlyHint": True,
                            "destructiveHint": False, "idempotentHint": True, "openWorldHint": False},
        },
        {
            "name": "execute_action",
            "title": "Run a Zoom action",
            "description": "Run one action with arguments that follow its get_action_schema parameters "
                           "(select and budget among them). Returns the envelope {data, successful, error}.",
            "inputSchema": {"type": "object", "properties": {
                "name": {"type": "string", "description": "Action name, e.g. ZOOM_GET_A_MEETING."},
                "arguments": {"type": "object", "description": "The action's parameters."}},
                "required": ["name"], "additionalProperties": False},
            "outputSchema": ENVELOPE_SCHEMA,
            "annotations": {"title": "Run a Zoom action", "readOnlyHint": False, "destructiveHint": True,
                            "idempotentHint": False, "openWorldHint": True},
        },
    ]


def build_server(toolkit, **options) -> ActionServer:
    """An ``ActionServer`` for ``toolkit``; ``options`` are the selection
    filters of ``build_tools`` plus ``description``, ``discovery``,
    ``output_schema``, ``profile`` and ``events`` (an ``Events``, a log path or
    True: the event tools of ``mcp_events``). Its ``.server`` is the SDK's
    low-level ``Server``."""
    return ActionServer(toolkit, **options)


async def run_stdio_async(action_server: ActionServer) -> None:
    from mcp.server.stdio import stdio_server
    server = action_server.server
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run_stdio(action_server: ActionServer) -> None:
    import anyio
    anyio.run(run_stdio_async, action_server)


def http_app(action_server: ActionServer, *, host: str = "127.0.0.1", port: int | None = None, path: str = "/mcp",
             json_response: bool = False, stateless: bool = False, auth: bool = True, store=None,
             allowed_hosts: tuple[str, ...] = ()):
    """The ASGI app serving streamable HTTP at ``path``: Host and Origin
    checked first (421, 403; for every address), then the bearer token
    (``auth``: tokens issued into ``store``, see ``mcp_auth``; 401 with
    ``WWW-Authenticate`` without one). ``auth=False`` is refused beyond
    loopback. ``allowed_hosts``: further names the server is reached by
    (behind a proxy)."""
    from mcp.server.transport_security import TransportSecuritySettings

    from . import mcp_auth
    mcp_auth.check_listen(host, authenticated=auth)
    hosts, origins = mcp_auth.allowed_hosts(host, allowed_hosts)
    security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                         allowed_origins=origins)
    extra: dict = {}
    if auth:
        from mcp.server.auth.settings import AuthSettings

        from .store import open_store
        shown = f"[{host}]" if ":" in host else host
        base = f"http://{shown}" + (f":{port}" if port else "")
        extra = {"auth": AuthSettings(issuer_url=base, resource_server_url=base + path,
                                      validate_token_resource=False),   # tokens are bound here by the store
                 "token_verifier": mcp_auth.StoreTokenVerifier(store or open_store())}
    app = action_server.server.streamable_http_app(streamable_http_path=path, host=host, json_response=json_response,
                                                   stateless_http=stateless, transport_security=security, **extra)
    return mcp_auth.HostCheck(app, hosts, origins)


def serve_http(action_server: ActionServer, *, host: str = "127.0.0.1", port: int = 8000, path: str = "/mcp",
               log_level: str = "warning", auth: bool = True, store=None,
               allowed_hosts: tuple[str, ...] = ()) -> None:
    import uvicorn
    app = http_app(action_server, host=host, port=port, path=path, auth=auth, store=store,
                   allowed_hosts=allowed_hosts)
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on")


class RunningHTTPServer:
    """A streamable-HTTP MCP server in a background thread (``url``, ``stop()``)."""

    def __init__(self, server, thread: threading.Thread, url: str) -> None:
        self._server, self._thread, self.url = server, thread, url

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> "RunningHTTPServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_http_in_thread(action_server: ActionServer, *, host: str = "127.0.0.1", port: int = 0,
                         path: str = "/mcp", startup_timeout: float = 20.0, auth: bool = True,
                         store=None) -> RunningHTTPServer:
    """Serve on ``host`` (loopback by default) and an ephemeral ``port`` in a thread."""
    import uvicorn
    app = http_app(action_server, host=host, port=port or None, path=path, auth=auth, store=store)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="zoom-actions-mcp-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the MCP HTTP server did not start")
        time.sleep(0.02)
    sockets = [s for srv in server.servers for s in srv.sockets]
    bound_port = sockets[0].getsockname()[1] if sockets else port
    shown = f"[{host}]" if ":" in host else host
    return RunningHTTPServer(server, thread, f"http://{shown}:{bound_port}{path}")

