"""``tk.tools(...)`` selection: filters, scopes, search, limits, the
per-request tool caps, and what happens to unrepresentable actions."""

from __future__ import annotations

import warnings

import pytest

from zoom_actions.adapters import SelectionError, TooManyTools, Unrepresentable, build_tools, select_names


def _names(tools):
    return [t.get("function", t)["name"] for t in tools]


def test_filters_combine(catalog):
    names = select_names(catalog, products="meetings", read_only=True, tags=["Meetings"])
    assert names and all(catalog.entry(n)["product"] == "meetings" and catalog.entry(n)["annotations"]["read_only"]
                         for n in names)
    assert "ZOOM_GET_A_MEETING" in names and "ZOOM_CREATE_A_MEETING" not in names


def test_names_keep_the_callers_order_and_unknown_names_fail_with_a_hint(catalog):
    assert select_names(catalog, names=["ZOOM_LIST_MEETINGS", "ZOOM_GET_A_MEETING"]) == [
        "ZOOM_LIST_MEETINGS", "ZOOM_GET_A_MEETING"]
    with pytest.raises(SelectionError, match="did you mean ZOOM_GET_A_MEETING"):
        select_names(catalog, names=["ZOOM_GET_A_MEETNG"])


def test_scopes_keep_what_the_token_can_call(catalog):
    names = select_names(catalog, scopes=["meeting:read:meeting"])
    assert "ZOOM_GET_A_MEETING" in names
    assert "ZOOM_LIST_USERS" not in names
    assert set(select_names(catalog, scopes=["meeting:read:admin"])) >= {"ZOOM_GET_A_MEETING"}


def test_search_ranks_and_limit_caps(catalog):
    assert select_names(catalog, search="who attended my last meeting", limit=2)[0] == \
        "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    assert len(select_names(catalog, search="meeting")) == 20
    assert len(select_names(catalog, products="phone", limit=7)) == 7


def test_openai_and_gemini_refuse_more_than_128_tools(catalog):
    for fmt in ("openai", "openai-responses", "gemini"):
        with pytest.raises(TooManyTools, match="at most 128"):
            build_tools(catalog, fmt, products="meetings")
    assert len(build_tools(catalog, "openai", products="meetings", allow_many=True)) == 181 + len(catalog.workflows())
    assert len(build_tools(catalog, "openai", products="meetings", limit=128)) == 128
    assert len(build_tools(catalog, "mcp", products="meetings")) == 181 + len(catalog.workflows())   # no cap


def test_anthropic_strict_request_budgets(catalog):
    small = ["ZOOM_GET_A_MEETING", "ZOOM_DELETE_A_MEETING"]
    tools = build_tools(catalog, "anthropic", names=small, strict=True)
    assert all(t["strict"] is True and t["input_schema"]["additionalProperties"] is False for t in tools)
    from zoom_actions.adapters import dialect_report, parameters
    from zoom_actions.adapters.dialect_anthropic import strict_budget
    fits = [n for n in catalog.filter(products="meetings") if n not in dialect_report("anthropic-strict", catalog)]
    with pytest.raises(TooManyTools, match="at most 20"):
        build_tools(catalog, "anthropic", names=fits[:21], strict=True)
    # each fits alone; together their optional parameters exceed the shared budget of 24
    chosen, total = [], 0
    for name in fits:
        optional = strict_budget(parameters(catalog, name, "anthropic-strict"))[0]
        if optional:
            chosen.append(name)
            total += optional
        if total > 24:
            break
    assert len(chosen) <= 20
    with pytest.raises(TooManyTools, match="optional parameters together"):
        build_tools(catalog, "anthropic", names=chosen, strict=True)
    assert len(build_tools(catalog, "anthropic", names=chosen, strict=True, allow_many=True)) == len(chosen)


def test_unrepresentable_actions_warn_skip_or_raise(catalog):
    wide = ["ZOOM_CREATE_A_MEETING", "ZOOM_GET_A_MEETING"]
    with pytest.warns(UserWarning, match="ZOOM_CREATE_A_MEETING: Anthropic strict: .* optional parameters"):
        tools = build_tools(catalog, "anthropic", names=wide, strict=True)
    assert _names(tools) == ["ZOOM_GET_A_MEETING"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _names(build_tools(catalog, "anthropic", names=wide, strict=True, on_unrepresentable="skip")) == [
            "ZOOM_GET_A_MEETING"]
    with pytest.raises(Unrepresentable, match="ZOOM_CREATE_A_MEETING"):
        build_tools(catalog, "anthropic", names=wide, strict=True, on_unrepresentable="raise")


def test_bad_arguments(catalog):
    with pytest.raises(ValueError, match="unknown format"):
        build_tools(catalog, "openapi")
    with pytest.raises(ValueError, match="description"):
        build_tools(catalog, "openai", names=["ZOOM_GET_A_MEETING"], description="short")
    with pytest.raises(TypeError, match="Toolkit"):
        build_tools(catalog, "langchain", names=["ZOOM_GET_A_MEETING"])
    with pytest.raises(TypeError):
        build_tools(object(), "openai")


def test_formats_wrap_the_same_parameters(catalog):
    name = ["ZOOM_GET_A_MEETING"]
    chat = build_tools(catalog, "openai", names=name)[0]
    resp = build_tools(catalog, "openai-responses", names=name)[0]
    anth = build_tools(catalog, "anthropic", names=name)[0]
    mcp = build_tools(catalog, "mcp", names=name)[0]
    assert chat["type"] == "function" and "strict" not in chat["function"]
    assert resp["strict"] is False     # the Responses API defaults to strict: say it
    params = chat["function"]["parameters"]
    assert resp["parameters"] == anth["input_schema"] == params == mcp["inputSchema"]
    assert params["required"] == ["meetingId"]
    strict = build_tools(catalog, "openai-responses", names=name, strict=True)[0]
    assert strict["strict"] is True and strict["parameters"]["additionalProperties"] is False


def test_tools_returns_fresh_copies(catalog):
    first = build_tools(catalog, "openai", names=["ZOOM_GET_A_MEETING"])
    first[0]["function"]["parameters"]["properties"].clear()
    again = build_tools(catalog, "openai", names=["ZOOM_GET_A_MEETING"])
    assert again[0]["function"]["parameters"]["properties"]
