"""Where Zoom's spec files come from: ``$ZOOM_SPEC_DIR`` when set, else the
official URLs in ``spec/sources.json`` (downloaded into a local cache)."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"   # package data: sources, overlay, locks


class SpecNotFound(FileNotFoundError):
    pass


@dataclass
class SpecFile:
    source: dict  # entry of spec/sources.json
    path: Path
    raw: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def load(self) -> dict:
        return json.loads(self.raw)


def products(spec_dir: Path = SPEC_DIR) -> list[dict]:
    return json.loads((spec_dir / "sources.json").read_text())["products"]


def default_spec_dir() -> Path | None:
    env = os.environ.get("ZOOM_SPEC_DIR")
    return Path(env).expanduser().resolve() if env else None


def locate(source_dir: Path | None, only: list[str] | None = None, *, download: bool = True,
           spec_dir: Path = SPEC_DIR) -> list[SpecFile]:
    """Read every product's spec file, in product order."""
    known = [s["id"] for s in products(spec_dir)]
    unknown = sorted(set(only or ()) - set(known))
    if unknown:
        from ..catalog import UnknownProduct
        from ..suggest import ranked
        raise UnknownProduct(f"no product {', '.join(repr(u) for u in unknown)} in spec/sources.json; valid product "
                             f"ids (closest first): {', '.join(ranked(unknown[0], known))}")
    out = []
    for src in products(spec_dir):
        if only and src["id"] not in only:
            continue
        if source_dir is not None:
            path = source_dir / src["file"]
            if not path.exists():
                raise SpecNotFound(f"{path} is missing: ZOOM_SPEC_DIR must hold {src['file']} ({src['title']})")
        elif download:
            path = _download(src)
        else:
            raise SpecNotFound("set ZOOM_SPEC_DIR to a directory holding Zoom's spec files")
        out.append(SpecFile(src, path, path.read_bytes()))
    return out


def _download(src: dict) -> Path:
    from ..locations import cache_dir
    cache = cache_dir() / "specs"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / src["file"]
    req = urllib.request.Request(src["url"], headers={"User-Agent": "zoom-actions-codegen"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - fixed https URL from spec/sources.json
            data = resp.read()
        json.loads(data)  # refuse to cache something that is not JSON
    except (OSError, ValueError) as exc:
        raise SpecNotFound(f"could not download the {src['title']} spec from {src['url']} ({exc}); "
                           "set ZOOM_SPEC_DIR to a directory holding Zoom's spec files") from None
    target.write_bytes(data)
    return target
