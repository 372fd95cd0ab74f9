"""MCP tool objects, as ``tools/list`` carries them: ``name``, ``title``,
``description``, ``inputSchema``, ``outputSchema`` (the envelope) and the
behaviour hints in ``annotations``. ``inputSchema`` carries no boolean
``additionalProperties``: google-genai, handed an MCP session, converts the
tools itself and crashes on one (``dialect_gemini.mcp_compatible``)."""

from __future__ import annotations

from .. import describe
from . import dialect_gemini
from . import schema_ops as ops

PROVIDER = "MCP"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "jsonschema"


def max_tools(strict: bool) -> None:
    return None


def annotations(action: dict) -> dict:
    ann = action.get("annotations") or {}
    read_only = bool(ann.get("read_only"))
    return {
        "title": action.get("title") or action["name"],
        "readOnlyHint": read_only,
        "destructiveHint": False if read_only else bool(ann.get("destructive", True)),
        "idempotentHint": True if read_only else bool(ann.get("idempotent", False)),
        "openWorldHint": True,  # every action talks to Zoom's API
    }


def output_schema(action: dict, mode: str = "compact") -> dict:
    """The envelope's schema; compact mode keeps its structure (names, types,
    enums, required) and drops the response's descriptions, which a model
    rarely sees."""
    schema = ops.strip_meta(describe.render_schema(action["output_schema"], mode))
    if mode == "compact":
        schema = ops.transform(schema, _without_description)
    return schema


def _without_description(node: dict) -> dict:
    return {k: v for k, v in node.items() if k != "description"}


def render(spec, toolkit=None) -> dict:
    return {
        "name": spec.name,
        "title": spec.action.get("title") or spec.name,
        "description": spec.description,
        "inputSchema": dialect_gemini.mcp_compatible(spec.parameters),   # google-genai converts these itself
        "outputSchema": output_schema(spec.action, spec.mode),
        "annotations": annotations(spec.action),
    }
