"""Following Zoom's pages: ``next_page_token``, else ``page_number``.

The build step stores each action's pagination kind and list field
(``pagination`` in the action document). :class:`PageState` says which
params fetch the next page; :func:`collect_flow` merges every page of a
list answer into one envelope, as a flow of its own (``yield from`` the
single call's flow), so the sync and async drivers both run it.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import fail, ok

PAGE_SAFETY = 10_000


class PageState:
    def __init__(self, max_pages: int | None) -> None:
        self.max_pages = max_pages
        self.pages = 0
        self.seen: set = set()

    def next_params(self, plan, params: Any, env: dict) -> dict | None:
        """The params of the next page, or None after the last one."""
        self.pages += 1
        if plan is None or type(plan) is dict or not env.get("successful") or not isinstance(env.get("data"), dict):
            return None
        if (self.max_pages is not None and self.pages >= self.max_pages) or self.pages >= PAGE_SAFETY:
            return None
        data = env["data"]
        base = dict(params) if isinstance(params, dict) else {}
        token = data.get("next_page_token")
        if plan.pagination == "next_page_token" and isinstance(token, str) and token:
            if token in self.seen:
                return None
            self.seen.add(token)
            base["next_page_token"] = token
            return base
        number, count = data.get("page_number"), data.get("page_count")
        # a list paged by number may answer a token too, which its request cannot send: the number goes on
        if (plan.pagination in ("page_number", "next_page_token") and "page_number" in plan.action["parameters"]
                and type(number) is int and type(count) is int and number < count):
            base["page_number"] = number + 1
            return base
        return None


def list_key(plan, data: dict) -> str | None:
    key = plan.list_field if plan is not None else None
    if key is not None and isinstance(data.get(key), list):
        return key
    for k, value in data.items():
        if isinstance(value, list):
            return k
    return None


def collect_flow(one_call: Callable[[Any], Any], plan, params: Any, max_pages: int | None):
    """Every page, merged: ``one_call(params)`` is the flow of one page."""
    state = PageState(max_pages)
    merged: dict | None = None
    key: str | None = None
    pages = 0
    while True:
        env = yield from one_call(params)
        pages += 1
        if not env["successful"]:
            if merged is None:
                return env
            return fail(f"Page {pages} failed after {pages - 1} page(s) were read: {env['error']}", data=merged)
        data = env["data"]
        if merged is None:
            if not isinstance(data, dict):
                return env
            merged = dict(data)
            key = list_key(plan, data)
            if key is not None:
                merged[key] = list(data.get(key) or [])
        elif isinstance(data, dict):
            if key is not None and isinstance(data.get(key), list):
                merged[key].extend(data[key])
            for k in ("next_page_token", "page_number"):
                if k in data:
                    merged[k] = data[k]
        params = state.next_params(plan, params, env)
        if params is None:
            return ok(merged)


def iter_pages(execute, plan, name: str, params: dict | None, max_pages: int | None):
    """``execute(name, params)`` page after page (``Toolkit.pages``); ``plan`` is the action's plan (or the
    envelope of an unknown name: one page, its refusal)."""
    state = PageState(max_pages)
    while True:
        env = execute(name, params)
        yield env
        params = state.next_params(plan, params, env)
        if params is None:
            return


async def aiter_pages(aexecute, plan, name: str, params: dict | None, max_pages: int | None):
    state = PageState(max_pages)
    while True:
        env = await aexecute(name, params)
        yield env
        params = state.next_params(plan, params, env)
        if params is None:
            return
