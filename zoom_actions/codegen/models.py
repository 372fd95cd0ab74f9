"""Typed Pydantic models for every action's input and output, generated with
datamodel-code-generator from the built catalog (one module per product:
``zoom_actions.models.<product>``, classes ``<Name>Input`` / ``<Name>Output``).

Zoom's webhook events get models too, from the event catalog (``events.json``):
``zoom_actions.models.webhooks.<product>``, one class per event type named after
it (``meeting.participant_joined`` -> ``MeetingParticipantJoined``), for the
whole body Zoom sends (``event``, ``event_ts``, ``payload``); see
:mod:`zoom_actions.events.models`.

A separate step from the catalog build (``zoom-actions generate --models``)
so that ``zoom-actions generate`` alone stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..locations import models_dir


def module_name(product: str) -> str:
    """The module of a product's models: ``team-chat`` -> ``zoom_actions.models.team_chat``."""
    return product.replace("-", "_")


def class_name(action_name: str, kind: str) -> str:
    """ZOOM_CREATE_A_MEETING, "Input" -> ZoomCreateAMeetingInput."""
    return "".join(w.capitalize() for w in action_name.lower().split("_") if w) + kind


def _strip(schema):
    if isinstance(schema, dict):
        return {k: _strip(v) for k, v in schema.items() if k != "$schema"}
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    return schema


def product_schema(product: str, actions: list[dict]) -> dict:
    defs: dict[str, dict] = {}
    props: dict[str, dict] = {}
    for a in actions:
        for kind, key in (("Input", "input_schema"), ("Output", "output_schema")):
            cname = class_name(a["name"], kind)
            s = _strip(a[key])
            s["title"] = cname
            defs[cname] = s
            props[cname] = {"$ref": f"#/$defs/{cname}"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"{product.capitalize()}Catalog",
            "type": "object", "properties": props, "$defs": defs}


WEBHOOKS = "webhooks"   # the subpackage of event payload models (no product is called that)


def event_class_name(event_type: str) -> str:
    """meeting.participant_joined -> MeetingParticipantJoined."""
    return "".join(w.capitalize() for w in event_type.replace(".", "_").split("_") if w)


def events_schema(product: str, events: list[dict]) -> dict:
    defs = {}
    for e in events:
        s = _strip(e["payload_schema"])
        s["title"] = event_class_name(e["name"])
        defs[s["title"]] = s
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"{product.capitalize()}Events",
            "type": "object", "properties": {k: {"$ref": f"#/$defs/{k}"} for k in defs}, "$defs": defs}


def _event_work(catalog_dir: Path, out_dir: Path) -> list[tuple[str, str, str]]:
    path = catalog_dir / "events.json"
    if not path.is_file():
        return []
    by_product: dict[str, list[dict]] = {}
    for e in json.loads(path.read_text())["events"].values():
        by_product.setdefault(e["product"], []).append(e)
    pkg = out_dir / WEBHOOKS
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text('"""Zoom\'s webhook event payloads, one module per product (generated)."""\n')
    return [(f"{WEBHOOKS}.{p}", json.dumps(events_schema(p, evs)), str(pkg / f"{module_name(p)}.py"))
            for p, evs in by_product.items()]


def _generate_one(args: tuple[str, str, str]) -> tuple[str, float]:
    product, schema_text, out = args
    import warnings

    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate
    from datamodel_code_generator.format import Formatter

    warnings.simplefilter("ignore")  # per-field notes on formats it maps to plain str
    t0 = time.perf_counter()
    generate(
        schema_text,
        input_file_type=InputFileType.JsonSchema,
        input_filename=f"{product}.json",
        output=Path(out),
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        use_title_as_name=True,
        use_schema_description=False,
        field_constraints=True,
        disable_timestamp=True,
        use_annotated=False,
        enum_field_as_literal="all",
        formatters=[Formatter.BUILTIN],
        use_double_quotes=True,
    )
    return product, time.perf_counter() - t0


def generate_models(catalog_dir: Path, out_dir: Path | None = None, jobs: int | None = None) -> dict[str, float]:
    out_dir = out_dir or models_dir(catalog_dir)
    index = json.loads((catalog_dir / "index.json").read_text())
    by_product: dict[str, list[dict]] = {}
    for name, entry in {**index["actions"], **index.get("workflows", {})}.items():   # workflows: models too
        by_product.setdefault(entry["product"], []).append(json.loads((catalog_dir / f"{name}.json").read_text()))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = [(p, json.dumps(product_schema(p, acts)), str(out_dir / f"{module_name(p)}.py"))
            for p, acts in by_product.items()]
    work += _event_work(catalog_dir, out_dir)
    jobs = jobs or min(len(work), os.cpu_count() or 1)
    timings: dict[str, float] = {}
    if jobs <= 1:
        for w in work:
            p, t = _generate_one(w)
            timings[p] = t
    else:
        # the largest product first so the pool stays busy
        work.sort(key=lambda w: -len(w[1]))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for p, t in pool.map(_generate_one, work):
                timings[p] = t
    return timings


def main(catalog_dir: Path, jobs: int | None = None) -> int:
    t0 = time.perf_counter()
    timings = generate_models(catalog_dir, jobs=jobs)
    total = time.perf_counter() - t0
    parts = ", ".join(f"{p} {t:.1f}s" for p, t in timings.items())
    actions = [p for p in timings if not p.startswith(WEBHOOKS + ".")]
    print(f"wrote models for {len(actions)} products and {len(timings) - len(actions)} event products to {models_dir(catalog_dir)} in {total:.1f}s ({parts})",
          file=sys.stderr)
    return 0
