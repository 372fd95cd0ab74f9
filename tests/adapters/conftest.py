"""Fixtures for the adapter tests: built definitions cached per session, a
recording Zoom stand-in and a Toolkit pointed at it."""

from __future__ import annotations

import warnings

import pytest

from .zoom_standin import StandIn


@pytest.fixture(scope="session")
def standin():
    srv = StandIn().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def toolkit(standin, catalog):
    from zoom_actions import Toolkit
    tk = Toolkit(access_token="test-token", base_url=standin.base_url, catalog=catalog)
    yield tk
    tk.close()


@pytest.fixture(scope="session")
def built(catalog):
    """``built(format, strict=None, description="compact")``: the whole
    catalog's definitions in that format, built once per session."""
    from zoom_actions.adapters import build_tools
    cache: dict = {}

    def get(fmt: str, strict=None, description: str = "compact"):
        key = (fmt, strict, description)
        if key not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cache[key] = build_tools(catalog, fmt, strict=strict, description=description, allow_many=True, products="all",
                                         on_unrepresentable="skip")
        return cache[key]
    return get


def cli_stdio(env: dict, *args: str):
    """`zoom-actions ARGS` as an MCP stdio server for the SDK's client: the installed console script, else the
    CLI through this interpreter."""
    import shutil
    import sys
    from pathlib import Path

    from mcp import StdioServerParameters
    script = Path(sys.executable).with_name("zoom-actions")
    command, prefix = (str(script), []) if script.exists() else (
        sys.executable, ["-c", "import sys; from zoom_actions.cli import main; sys.exit(main())"])
    assert shutil.which(command)
    return StdioServerParameters(command=command, env=env, args=[*prefix, *args])
