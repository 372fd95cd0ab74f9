"""Hypothesis feeds random and hostile inputs to execute for every action:
no exception escapes, every failure is an envelope naming the problem, and
whatever is sent keeps the action's path shape."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoom_actions import load_catalog
from zoom_actions.retry import RetryPolicy

from ..conftest import SEED_NAMES

try:
    ALL = load_catalog().operations()   # the workflows are fuzzed in test_workflows.py
except Exception:  # no catalog: the catalog fixture reports it
    ALL = []

HOSTILE_TEXT = st.sampled_from([
    "", " ", "/", "//", "/abc==", "..", ".", "../../users/me?x=1", "a?b=c&d=e#f", "%2e%2e%2f", "\x00", "\r\nX-Evil: 1",
    "\ud800", "é\u202e", "🙂" * 50, "x" * 5000, "null", "true", "123", "-1", "1e309", "NaN", "[]", "{}",
    '{"__proto__": 1}', "'; DROP TABLE users; --", "${jndi:ldap://x}", "<script>", "me",
])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def _value_for(schema: dict):
    t = schema.get("type")
    options = [JSON, HOSTILE_TEXT]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        options.append(st.sampled_from(schema["enum"]))
    if t == "string":
        options += [st.text(max_size=30), st.integers()]
    elif t == "integer":
        options += [st.integers(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.integers(min_value=0, max_value=10 ** 12).map(str)]
    elif t == "number":
        options += [st.floats(), st.decimals(allow_nan=False).map(str)]
    elif t == "boolean":
        options += [st.booleans(), st.sampled_from(["true", "false", "yes", "maybe", 1, 0, 2])]
    elif t == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        options += [st.lists(_value_for(items) if items.get("type") != "array" else JSON, max_size=3),
                    st.lists(JSON, max_size=3).map(lambda v: __import__("json").dumps(v, default=str))]
    elif t == "object":
        options += [st.dictionaries(st.text(max_size=10), JSON, max_size=3)]
    return st.one_of(*options)


def _params_for(action: dict):
    schema = action["input_schema"]
    props = schema.get("properties", {})
    required = schema.get("required", [])
    base = st.fixed_dictionaries({n: _value_for(props[n]) for n in required if n in props},
                                 optional={n: _value_for(p) for n, p in list(props.items())[:25]
                                           if n not in required})
    extra_keys = st.text(max_size=20) | st.sampled_from(list(action.get("aliases") or {}) or ["x"]) | HOSTILE_TEXT
    with_extras = st.tuples(base, st.dictionaries(extra_keys, JSON, max_size=2)).map(lambda t: {**t[1], **t[0]})
    return st.one_of(base, base, with_extras, st.dictionaries(st.text(max_size=10), JSON, max_size=3),
                     JSON.filter(lambda v: not isinstance(v, dict)))


@pytest.fixture(scope="module")
def fuzz_tk(_server, catalog, tmp_path_factory):
    from zoom_actions import Toolkit
    tk = Toolkit(access_token="fuzz-token-1234567890", base_url=_server.url, catalog=catalog,
                 upload_dir=tmp_path_factory.mktemp("uploads"),
                 retry=RetryPolicy(max_retries=0))
    yield tk
    tk.close()


def _check(tk, server, action, params):
    before = len(server.requests)
    env = tk.execute(action["name"], params)
    assert isinstance(env, dict) and set(env) == {"data", "successful", "error"}
    assert env["successful"] in (True, False)
    sent = server.requests[before:]
    if env["successful"]:
        assert env["error"] is None
        assert len(sent) == 1
        seen = sent[0]
        assert seen.method == action["operation"]["method"].upper()
        template = action["operation"]["path"]
        assert seen.path.count("/") == template.count("/"), (seen.path, template)
        literal = template.split("{", 1)[0]
        assert seen.path.startswith(literal)
        for piece in seen.path.split("/"):
            assert piece not in (".", "..")
    else:
        err = env["error"]
        assert isinstance(err, str) and len(err) > 15
        assert sent == []   # the server says yes to everything: only bad input fails
        assert "nothing was sent to Zoom" in err
        assert "`" in err or "params must be a JSON object" in err
    return env


def _fuzz(examples):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", ALL)
def test_fuzz_every_action(fuzz_tk, _server, catalog, name):
    action = catalog.get(name)

    @_fuzz(4)
    @given(_params_for(action))
    def run(params):
        _check(fuzz_tk, _server, action, params)

    run()


@pytest.mark.parametrize("name", sorted(SEED_NAMES))
def test_fuzz_seed_actions_harder(fuzz_tk, _server, catalog, name):
    action = catalog.get(name)

    @_fuzz(60)
    @given(_params_for(action))
    def run(params):
        _check(fuzz_tk, _server, action, params)

    run()


def test_catalog_is_fuzzed(catalog):
    assert len(ALL) == len(catalog.operations()) and len(ALL) > 500


@_fuzz(100)
@given(st.one_of(st.text(max_size=40), JSON), JSON)
def test_fuzz_action_names(fuzz_tk, _server, name, params):
    env = fuzz_tk.execute(name, params)
    assert set(env) == {"data", "successful", "error"}
    if not env["successful"]:
        assert isinstance(env["error"], str) and env["error"]


def test_nan_and_huge_numbers_are_input_errors(fuzz_tk):
    env = fuzz_tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "duration": math.nan})
    assert not env["successful"] and "`duration`" in env["error"]
    env = fuzz_tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "x", "duration": float("inf")})
    assert not env["successful"] and "`duration`" in env["error"]
