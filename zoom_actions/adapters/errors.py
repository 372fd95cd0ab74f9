"""Errors the adapters raise."""

from __future__ import annotations


class Unrepresentable(ValueError):
    """An action's input schema cannot be sent in a provider's dialect
    without changing what it means; ``reason`` says why."""

    def __init__(self, reason: str, name: str | None = None) -> None:
        self.reason = reason
        self.name = name
        super().__init__(f"{name}: {reason}" if name else reason)


class TooManyTools(ValueError):
    """The selection exceeds what one request to the provider may carry."""


class SelectionError(ValueError):
    """A filter names something that does not exist (an unknown action name)."""
