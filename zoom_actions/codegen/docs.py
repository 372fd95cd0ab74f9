"""The Markdown reference of the catalog, rendered with jinja2."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from ..locations import docs_dir


def _type_of(schema: dict) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        return " | ".join(t)
    if t == "array":
        inner = schema.get("items", {})
        return f"array of {_type_of(inner)}" if inner else "array"
    if t:
        return t + (f" ({schema['format']})" if schema.get("format") else "")
    if "anyOf" in schema or "oneOf" in schema:
        return "one of " + ", ".join(_type_of(s) for s in schema.get("anyOf") or schema.get("oneOf"))
    return "any"


def _example_value(schema: dict):
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    t = schema.get("type")
    t = t[0] if isinstance(t, list) else t
    return {"integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(t, "string")


def example_params(action: dict) -> dict:
    props = action["input_schema"]["properties"]
    return {n: _example_value(props[n]) for n in action["input_schema"].get("required", [])}


def render(catalog_dir: Path, out_dir: Path | None = None) -> list[Path]:
    out_dir = out_dir or docs_dir(catalog_dir)
    env = jinja2.Environment(loader=jinja2.PackageLoader("zoom_actions.codegen", "templates"), autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["jtype"] = _type_of
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    template = env.get_template("reference.md.j2")
    index = json.loads((catalog_dir / "index.json").read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    by_product: dict[str, list[dict]] = {}
    for name in index["actions"]:
        a = json.loads((catalog_dir / f"{name}.json").read_text())
        by_product.setdefault(a["product"], []).append(a)
    written = []
    for product, actions in by_product.items():
        path = out_dir / f"{product}.md"
        path.write_text(template.render(product=product, spec=index["specs"].get(product, {}), actions=actions,
                                        example=example_params))
        written.append(path)
    return written
