"""Reading JSON Schema, once, for the runtime, the sandbox, the adapters and the contract check.

- :func:`declared_types`: the ``type`` keyword as a list (nothing inferred).
- :func:`types_of`: the declared types, else what ``properties``/``items`` imply.
- :func:`type_set`: every JSON type a schema admits, through ``anyOf``/``oneOf``
  branches; None when the schema does not say.
- :func:`relax`: a copy for validation with ``oneOf`` read as ``anyOf``. The build
  step already writes ``anyOf`` (Zoom's union branches overlap); this keeps
  schemas from elsewhere (Zoom's own spec, a user's) read the same way.
"""

from __future__ import annotations

from typing import Any


def declared_types(node: dict) -> list[str]:
    t = node.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def types_of(schema: dict) -> list[str]:
    declared = declared_types(schema)
    if declared:
        return declared
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def type_set(schema: dict) -> set[str] | None:
    declared = declared_types(schema)
    if declared:
        return set(declared)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            out: set[str] = set()
            for branch in schema[key]:
                bt = type_set(branch) if isinstance(branch, dict) else None
                if bt is None:
                    return None
                out |= bt
            return out
    inferred = types_of(schema)
    return set(inferred) if inferred else None


def relax(schema: Any) -> Any:
    """A copy of ``schema`` for validation: oneOf -> anyOf, no $schema."""
    if isinstance(schema, dict):
        return {("anyOf" if k == "oneOf" else k): relax(v) for k, v in schema.items() if k != "$schema"}
    if isinstance(schema, list):
        return [relax(v) for v in schema]
    return schema
