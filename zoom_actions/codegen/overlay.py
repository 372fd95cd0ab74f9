"""The overlay: hand-written corrections to Zoom's spec, each with a reason.

``spec/overlay.json`` holds a list of patches. A patch selects operations by
``product`` (optional: an id, or a list of ids for a product and its
master-account twin, e.g. ``["phone", "phone-ma"]``), ``path`` (a regular expression, searched) and
``methods`` (optional list), then either

- ``parameter`` (a name, or ``"*"``) with optional ``in``: merges ``merge``
  into each matching parameter object; or
- ``pointer``: a JSON pointer inside the operation object (``""``: the
  operation itself); merges ``merge`` into the object found there (a missing target is an error: the overlay
  must not rot silently).

Every patch must carry a non-empty ``reason``. ``apply_overlay`` returns how
many targets each patch changed, so a patch that stops matching is noticed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class OverlayError(ValueError):
    pass


def load_overlay(path: Path) -> list[dict]:
    if not path.exists():
        return []
    patches = json.loads(path.read_text()).get("patches", [])
    for i, p in enumerate(patches):
        if not str(p.get("reason", "")).strip():
            raise OverlayError(f"overlay patch #{i} has no reason")
        if "merge" not in p or not ("parameter" in p or "pointer" in p):
            raise OverlayError(f"overlay patch #{i} needs 'merge' and one of 'parameter' or 'pointer'")
    return patches


def _deep_merge(target: dict, patch: dict) -> None:
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict) and not k.startswith("="):
            _deep_merge(target[k], v)
        elif k.startswith("="):
            target[k[1:]] = v  # "=key": replace the value whole
        else:
            target[k] = v


def _resolve(obj: Any, pointer: str) -> Any:
    if not pointer.strip("/"):
        return obj   # "" or "/": the operation itself (e.g. to drop a requestBody Zoom says not to send)
    for raw in pointer.strip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(obj, list):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            raise KeyError(pointer)
    return obj


def apply_overlay(product: str, doc: dict, patches: list[dict], problems: list[str] | None = None) -> list[int]:
    """Apply patches in place to one product's spec; returns per-patch hit
    counts. A ``pointer`` that finds nothing is appended to ``problems``
    (when given; else it raises ``OverlayError``): an older document under a
    product id is not the one the overlay was written for."""
    hits = [0] * len(patches)
    for i, p in enumerate(patches):
        wanted = p.get("product")
        if wanted is not None and product not in ([wanted] if isinstance(wanted, str) else wanted):
            continue
        rx = re.compile(p.get("path", ".*"))
        methods = [m.lower() for m in p.get("methods", HTTP_METHODS)]
        for path, item in doc.get("paths", {}).items():
            if not rx.search(path):
                continue
            for method in methods:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                if "parameter" in p:
                    for prm in op.get("parameters", []):
                        if p["parameter"] not in ("*", prm.get("name")):
                            continue
                        if "in" in p and prm.get("in") != p["in"]:
                            continue
                        _deep_merge(prm, p["merge"])
                        hits[i] += 1
                else:
                    try:
                        target = _resolve(op, p["pointer"])
                    except (KeyError, IndexError, ValueError):
                        if p.get("optional"):
                            continue
                        message = f"overlay patch #{i}: {p['pointer']} not found in {method.upper()} {path}"
                        if problems is None:
                            raise OverlayError(message)
                        problems.append(f"{product}: {message}")
                        continue
                    _deep_merge(target, p["merge"])
                    hits[i] += 1
    return hits
