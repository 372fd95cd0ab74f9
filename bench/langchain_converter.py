"""Section 6: LangChain's OpenAPI-to-functions converter on Zoom's specs.

``langchain_classic.chains.openai_functions.openapi.openapi_spec_to_openai_fn``
(with ``langchain_community.utilities.openapi.OpenAPISpec``) turns a spec into
OpenAI function definitions plus one caller that sends the request with
``requests``. It converts a spec all or nothing: one operation it cannot
handle fails the whole file. This section records which specs convert, which
operations stop it, and the figures it allows (build times are in section 1,
tokens in section 5, per-call in section 3, all on the convertible part).
"""

from __future__ import annotations

import copy
import logging
import warnings

from .common import PRODUCTS, Context, NotAvailable, Section, Table, short_error


def converter():
    """A function spec_dict -> (functions, call_api), or NotAvailable."""
    try:
        from langchain_classic.chains.openai_functions.openapi import openapi_spec_to_openai_fn
        from langchain_community.utilities.openapi import OpenAPISpec
    except ImportError as exc:
        raise NotAvailable(f"{exc.name} is not installed; `pip install -e '.[bench]'`") from None
    logging.getLogger("langchain_community").setLevel(logging.ERROR)

    def convert(spec: dict):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its own deprecation notice and pydantic's
            return openapi_spec_to_openai_fn(OpenAPISpec.from_spec_dict(spec))
    return convert


def failing_operations(spec: dict) -> list[tuple[str, str, str]]:
    """(METHOD, path, error) for each operation the converter cannot handle."""
    try:
        from langchain_community.tools import APIOperation
        from langchain_community.utilities.openapi import OpenAPISpec
    except ImportError as exc:
        raise NotAvailable(f"{exc.name} is not installed; `pip install -e '.[bench]'`") from None
    logging.getLogger("langchain_community").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = OpenAPISpec.from_spec_dict(spec)
        bad = []
        for path in parsed.paths or {}:
            for method in parsed.get_methods_for_path(path):
                try:
                    APIOperation.from_openapi_spec(parsed, path, method)
                except Exception as exc:
                    bad.append((method.upper(), path, short_error(exc)))
    return bad


def without(spec: dict, operations: list[tuple[str, str, str]]) -> dict:
    """A copy of ``spec`` lacking the given operations."""
    out = copy.deepcopy(spec)
    for method, path, _ in operations:
        item = out["paths"].get(path, {})
        item.pop(method.lower(), None)
        if not any(k in item for k in ("get", "post", "put", "patch", "delete", "head", "options")):
            out["paths"].pop(path, None)
    return out


def convertible(ctx: Context, product: str) -> tuple[dict, list[tuple[str, str, str]]]:
    """The product's spec as far as the converter can take it, and what had to go. Cached in ``ctx``."""
    key = f"langchain:{product}"
    if key not in ctx.data:
        spec = ctx.load_spec(product)
        bad = failing_operations(spec)
        ctx.data[key] = (without(spec, bad) if bad else spec, bad)
    return ctx.data[key]


def run(ctx: Context) -> Section:
    section = Section("6. LangChain's OpenAPI-to-functions converter")
    table = Table("Does `openapi_spec_to_openai_fn` convert Zoom's specs?",
                  ["spec", "result", "functions", "operations it cannot convert"])
    try:
        convert = converter()
    except NotAvailable as exc:
        table.unavailable("all", str(exc))
        section.tables.append(table)
        return section
    for product in PRODUCTS:
        try:
            spec = ctx.load_spec(product)
        except NotAvailable as exc:
            table.unavailable(product, str(exc))
            continue
        try:
            fns, _ = convert(spec)
            table.add(product, "converts", len(fns), "none")
        except Exception as exc:
            bad = failing_operations(spec)
            listed = "; ".join(f"{m} {p}" for m, p, _ in bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else "")
            reason = bad[0][2] if bad else short_error(exc)
            try:
                fns, _ = convert(without(spec, bad))
                after = f"{len(fns)} once those {len(bad)} are removed"
            except Exception as exc2:
                after = f"still fails once they are removed: {short_error(exc2)}"
            table.add(product, f"fails: {reason}", after, listed)
    table.notes.append("The converter fails a whole spec on one operation it cannot handle. Where it fails, the "
                       "other sections measure it on the spec minus those operations and say so. Its functions "
                       "keep Zoom's nesting (path_params / params / json objects); its caller is synchronous "
                       "`requests.request` without a session (a new connection each call) and takes its URL "
                       "from the spec's `servers`, so the per-call section points `servers` at the loopback "
                       "server.")
    section.tables.append(table)
    return section
