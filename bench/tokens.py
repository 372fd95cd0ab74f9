"""Section 5: what the Meetings tool definitions cost in tokens.

Every tool list is put in the same OpenAI function-tool envelope
(``{"type": "function", "function": {name, description, parameters}}``),
serialized with the same compact JSON, and counted with the same offline
tokenizer (o200k_base from ``bpe-openai``). FastMCP's tools are what
``from_openapi`` lists: name, description and ``inputSchema`` (its MCP
``outputSchema`` is counted on a separate line, as clients seldom pass it to a
model).
"""

from __future__ import annotations

import json

from . import langchain_converter, ours
from .common import Context, Goal, NotAvailable, Section, Table, openai_tool, short_error

ENCODING = "o200k_base"


def tokenizer():
    try:
        import bpe_openai
    except ImportError:
        raise NotAvailable("bpe-openai is not installed; `pip install -e '.[bench]'`") from None
    enc = bpe_openai.get_encoding(ENCODING)
    return lambda text: len(enc.encode(text))


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def count(tools: list[dict], ntok) -> int:
    return sum(ntok(dumps(t)) for t in tools)


def fastmcp_meetings(ctx: Context):
    """FastMCP's Meetings tools (cached in ``ctx``)."""
    if "fastmcp:meetings" not in ctx.data:
        try:
            import asyncio

            import httpx2
            from fastmcp import FastMCP
        except ImportError as exc:
            raise NotAvailable(f"fastmcp is not installed ({exc.name}); `pip install -e '.[bench]'`") from None
        server = FastMCP.from_openapi(ctx.load_spec("meetings"),
                                      client=httpx2.AsyncClient(base_url="http://127.0.0.1:9/v2"))
        ctx.data["fastmcp:meetings"] = list(asyncio.run(server.list_tools()))
    return ctx.data["fastmcp:meetings"]


def _leaves(schema: dict) -> int:
    """Leaf parameters a schema spells out (nested object properties counted one by one)."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not props:
        return 1
    return sum(_leaves(p) for p in props.values())


def _ours_meetings(ctx: Context, description: str, strict: bool) -> list[dict]:
    tk = ours.make_toolkit()
    from zoom_actions import load_catalog
    names = load_catalog(ctx.catalog_dir).filter(products=["meetings"])
    tools = ours.openai_tools(tk, products="meetings", description=description, strict=strict, allow_many=True,
                              on_unrepresentable="skip")
    if len(tools) != len(names):
        have = {t.get("function", t)["name"] for t in tools}
        left = sorted(set(names) - have)
        raise RuntimeError(f"{len(tools)} tools for {len(names)} Meetings actions (left out: {', '.join(left[:5])})")
    return tools


def _kept_every_parameter(ctx: Context, tools: list[dict]) -> tuple[int, list[str]]:
    from zoom_actions import load_catalog
    cat = load_catalog(ctx.catalog_dir)
    total, missing = 0, []
    for t in tools:
        fn = t.get("function", t)
        want = set(cat.get(fn["name"])["input_schema"]["properties"])
        have = set(fn["parameters"].get("properties", {}))
        total += len(want)
        missing += [f"{fn['name']}.{p}" for p in sorted(want - have)]
    return total, missing


def run(ctx: Context) -> Section:
    section = Section("5. Tokens: Meetings tool definitions")
    table = Table(f"Meetings tool definitions, {ENCODING} tokens (bpe-openai), compact JSON",
                  ["tool list", "tools", "tokens", "tokens / tool", "vs FastMCP", "parameters"])
    try:
        ntok = tokenizer()
    except NotAvailable as exc:
        table.unavailable("all", str(exc))
        section.tables.append(table)
        section.goals.append(Goal("compact Meetings definitions at most half FastMCP's tokens", "not available", None))
        return section

    fm_tokens = None
    try:
        fm = fastmcp_meetings(ctx)
        fm_tools = [openai_tool(t.name, t.description or "", t.parameters) for t in fm]
        fm_tokens = count(fm_tools, ntok)
        leaves = sum(_leaves(t.parameters) for t in fm)
        tops = sum(len(t.parameters.get("properties", {})) for t in fm)
        ctx.data["tokens:fastmcp"] = fm_tokens
    except NotAvailable as exc:
        table.unavailable("FastMCP.from_openapi", str(exc))
    except Exception as exc:
        table.unavailable("FastMCP.from_openapi", short_error(exc))

    def vs(tokens: int) -> str:
        return f"{tokens / fm_tokens:.2f}x" if fm_tokens else ""

    compacts: dict[bool, tuple] = {}
    for style, strict in (("compact", False), ("compact", True), ("verbatim", False), ("verbatim", True)):
        label = f"ours, {style} descriptions, " + ("strict (opt-in)" if strict else "non-strict (the default)")
        try:
            tools = _ours_meetings(ctx, style, strict)
            tokens = count(tools, ntok)
            total, missing = _kept_every_parameter(ctx, tools)
            kept = f"{total} flat, all kept" if not missing else f"{total} flat, {len(missing)} MISSING"
            table.add(label, len(tools), tokens, tokens // max(len(tools), 1), vs(tokens), kept)
            ctx.data[f"tokens:{style}:{strict}"] = tokens
            if style == "compact":
                compacts[strict] = (tokens, missing, tools)
        except NotAvailable as exc:
            table.unavailable(label, str(exc))
        except Exception as exc:
            table.unavailable(label, short_error(exc))

    if fm_tokens:
        table.add("FastMCP.from_openapi (name, description, inputSchema)", len(fm_tools), fm_tokens,
                  fm_tokens // len(fm_tools), "1.00x", f"{tops} top-level, {leaves} leaves")
        with_out = count([{**openai_tool(t.name, t.description or "", t.parameters),
                           "outputSchema": t.output_schema} for t in fm], ntok)
        table.add("FastMCP, with its MCP outputSchema too", len(fm), with_out, with_out // len(fm), vs(with_out), "")

    try:
        spec, dropped = langchain_converter.convertible(ctx, "meetings")
        fns, _ = langchain_converter.converter()(spec)
        lc_tools = [openai_tool(f["name"], f.get("description") or "", f["parameters"]) for f in fns]
        lc_tokens = count(lc_tools, ntok)
        label = "LangChain converter" + (f" (spec minus the {len(dropped)} operations it cannot convert)"
                                         if dropped else "")
        table.add(label, len(lc_tools), lc_tokens, lc_tokens // max(len(lc_tools), 1), vs(lc_tokens),
                  f"{sum(_leaves(f['parameters']) for f in fns)} leaves (nested)")
    except NotAvailable as exc:
        table.unavailable("LangChain converter", str(exc))
    except Exception as exc:
        table.unavailable("LangChain converter", short_error(exc))

    table.notes.append("Each tool is `json.dumps(tool, separators=(',', ':'))` of the OpenAI function-tool "
                       "envelope; the figure is the sum over tools. 'Parameters' counts what a model can fill: "
                       "our flat properties (checked against each action's input_schema), FastMCP's and "
                       "LangChain's top-level properties and the leaf fields nested under them.")
    section.tables.append(table)
    for strict in (False, True):
        kind = "strict (OpenAI Structured Outputs, opt-in)" if strict else "non-strict (the default, like FastMCP's)"
        text = f"compact Meetings definitions, {kind}, at most half FastMCP's tokens, every parameter kept"
        got = compacts.get(strict)
        if not (got and fm_tokens):
            section.goals.append(Goal(text, "not available", None))
            continue
        tokens, missing, tools = got
        met = tokens <= fm_tokens / 2 and not missing
        measured = f"{tokens} vs {fm_tokens} tokens ({tokens / fm_tokens:.3f}x)" + (
            f", {len(missing)} parameters missing" if missing else ", every parameter kept")
        bound = ""
        if missing:
            bound = "parameters dropped from the compact form"
        elif not met:
            bound = (f"over by {tokens - fm_tokens // 2} tokens ({tokens / fm_tokens - 0.5:.3f}x); "
                     + _breakdown(tools, ntok, compacts.get(False)))
        section.goals.append(Goal(text, measured, met, bound))
    if compacts.get(True):
        section.notes.append(_largest(compacts[True][2], ntok))
    return section


def _strip_descriptions(node):
    if isinstance(node, dict):
        return {k: _strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip_descriptions(v) for v in node]
    return node


def _breakdown(tools: list[dict], ntok, non_strict) -> str:
    """Where the tokens of a tool list go: description texts vs schema structure."""
    total = count(tools, ntok)
    bare = count([_strip_descriptions(t) for t in tools], ntok)
    text = f"{total - bare} tokens are description texts, {bare} schema structure (names, types, enums, required)"
    if non_strict:
        text += (f"; the strict dialect adds {total - non_strict[0]} over the non-strict form "
                 "(nullable types, every property required)")
    return text


def _largest(tools: list[dict], ntok) -> str:
    sized = sorted(((ntok(dumps(t)), t.get("function", t)["name"]) for t in tools), reverse=True)
    top = sized[:5]
    share = sum(n for n, _ in top) / max(sum(n for n, _ in sized), 1)
    return ("Largest compact (strict) tools: " + ", ".join(f"{name} ({n} tokens)" for n, name in top)
            + f"; these {len(top)} are {share:.0%} of the list.")
