"""Zoom's official spec files for CI: fetch them, and tell whether they
differ from the ones ``spec/spec.lock`` records.

    python -m contract.specs fetch DIR   # download every product's spec into DIR
    python -m contract.specs drift DIR   # products whose file in DIR differs from spec/spec.lock

``drift`` prints one product per line and, under GitHub Actions, writes
``changed=true|false`` and ``products=...`` to ``$GITHUB_OUTPUT``. Standard
library only, so it runs before the project is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import urllib.request
from pathlib import Path

from zoom_actions.codegen import sources


def fetch(out_dir: Path, spec_dir: Path = sources.SPEC_DIR, timeout: float = 120.0) -> dict[str, str]:
    """Download each product's spec into ``out_dir``; returns product -> sha256."""
    out_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for src in sources.products(spec_dir):
        req = urllib.request.Request(src["url"], headers={"User-Agent": "zoom-actions-regenerate"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - fixed https URLs from spec/sources.json
            data = resp.read()
        doc = json.loads(data)  # refuse to keep something that is not an OpenAPI document
        if not isinstance(doc, dict) or "paths" not in doc:
            raise ValueError(f"{src['url']} is not an OpenAPI document")
        (out_dir / src["file"]).write_bytes(data)
        hashes[src["id"]] = hashlib.sha256(data).hexdigest()
    return hashes


def drift(spec_files: Path, spec_dir: Path = sources.SPEC_DIR) -> list[str]:
    """Products whose spec file in ``spec_files`` differs from spec/spec.lock."""
    lock_path = spec_dir / "spec.lock"
    locked = json.loads(lock_path.read_text()).get("specs", {}) if lock_path.exists() else {}
    changed = []
    for src in sources.products(spec_dir):
        path = spec_files / src["file"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        if digest != locked.get(src["id"], {}).get("sha256"):
            changed.append(src["id"])
    return changed


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("fetch", "drift"):
        print(__doc__, file=sys.stderr)
        return 2
    where = Path(args[1])
    if args[0] == "fetch":
        for pid, digest in fetch(where).items():
            print(f"{digest}  {pid}")
        return 0
    changed = drift(where)
    for pid in changed:
        print(pid)
    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with open(out, "a") as fh:
            fh.write(f"changed={'true' if changed else 'false'}\nproducts={' '.join(changed)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
