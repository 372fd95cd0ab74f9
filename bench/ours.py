"""The one place the bench touches zoom-actions' runtime and adapters, so that
each section degrades to "not available: reason" while they are missing."""

from __future__ import annotations

from .common import NotAvailable


def toolkit_class():
    try:
        from zoom_actions.toolkit import Toolkit
    except ModuleNotFoundError as exc:
        if exc.name in ("zoom_actions.toolkit",):
            raise NotAvailable("zoom_actions.toolkit does not exist yet") from None
        raise
    return Toolkit


def make_toolkit(base_url: str = "http://127.0.0.1:9/v2", *, plan: str | None = None, **extra):
    """A Toolkit with a fixed token against ``base_url``. ``plan`` sets the client-side limiter
    ("free", "pro", "business"); None (the default here, and Toolkit's own default for a loopback
    URL) turns pacing off."""
    Toolkit = toolkit_class()
    return Toolkit(access_token="t", base_url=base_url, account_plan=plan, **extra)


def unbound_limiter(tk) -> None:
    """Keep the limiter's bookkeeping on every call but raise its limits beyond any load,
    so that what it costs shows without the pacing it exists for."""
    from zoom_actions.limiter import RateLimiter
    tk.limiter = RateLimiter("business")
    tk.limiter.limits = {label: (10**9, window) for label, (_, window) in tk.limiter.limits.items()}


def unbound_shared_limiter(tk, redis_url: str) -> None:
    """As ``unbound_limiter``, with the state on the Redis at ``redis_url`` (one round trip a call)."""
    from zoom_actions.shared_limits import RedisRateLimiter
    tk.limiter = RedisRateLimiter(redis_url, "business", "bench")
    tk.limiter.limits = {label: (10**9, window) for label, (_, window) in tk.limiter.limits.items()}


def openai_tools(tk, *, names=None, products=None, description: str | None = None, **more) -> list[dict]:
    """``tk.tools(format="openai", ...)``; NotAvailable when the adapters are not there yet."""
    if not hasattr(tk, "tools"):
        raise NotAvailable("Toolkit.tools() does not exist yet")
    kwargs: dict = {"format": "openai"}
    if names is not None:
        kwargs["names"] = names
    if products is not None:
        kwargs["products"] = products
    if description is not None:
        kwargs["description"] = description
    kwargs.update(more)
    try:
        return list(tk.tools(**kwargs))
    except (NotImplementedError, ModuleNotFoundError) as exc:
        raise NotAvailable(f"Toolkit.tools(format='openai') failed: {exc}") from None


def check_envelope(env: dict) -> dict:
    if not isinstance(env, dict) or not env.get("successful"):
        raise RuntimeError(f"execute did not succeed: {str(env.get('error') if isinstance(env, dict) else env)[:200]}")
    return env
