"""Where zoom-actions reads and writes what it builds from Zoom's specs.

Reading a catalog, the first that holds an ``index.json``:

1. ``$ZOOM_ACTIONS_DIR`` (or an explicit directory), always, built or not;
2. a checkout's ``actions/`` (a development install, ``make install``);
3. the user's data directory, ``<user data dir>/zoom-actions/catalog``
   (``platformdirs``), where ``zoom-actions generate`` writes by default;
4. the catalog a release wheel carries (``zoom_actions/_catalog``, built by
   ``make dist``).

Writing (``zoom-actions generate``): ``--out``, else ``$ZOOM_ACTIONS_DIR``,
else the checkout's ``actions/`` in a checkout, else the user's data
directory; never site-packages or the current directory unless asked. The
Markdown reference goes to ``<catalog>/docs`` and the typed models to
``<catalog>/models`` (importable as ``zoom_actions.models.<product>``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PACKAGED_CATALOG = PACKAGE / "_catalog"
_ROOT = PACKAGE.parent


def checkout() -> Path | None:
    """The source checkout this package runs from, if it is one (not site-packages)."""
    if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "Makefile").is_file():
        return _ROOT
    return None


def data_dir() -> Path:
    from platformdirs import user_data_path
    return user_data_path("zoom-actions", appauthor=False)


def cache_dir() -> Path:
    from platformdirs import user_cache_path
    return user_cache_path("zoom-actions", appauthor=False)


def _env_dir() -> Path | None:
    env = os.environ.get("ZOOM_ACTIONS_DIR", "").strip()
    return Path(env).expanduser() if env else None


def write_dir() -> Path:
    """Where ``zoom-actions generate`` writes without ``--out``."""
    env = _env_dir()
    if env is not None:
        return env
    root = checkout()
    return root / "actions" if root is not None else data_dir() / "catalog"


def candidates() -> list[Path]:
    """The directories a catalog is looked for in, in order."""
    env = _env_dir()
    if env is not None:
        return [env]
    out = []
    root = checkout()
    if root is not None:
        out.append(root / "actions")
    out += [data_dir() / "catalog", PACKAGED_CATALOG]
    return out


def catalog_dir() -> Path:
    """The catalog to read: the first candidate with an ``index.json``, else
    where ``generate`` would write one (so that the error names it)."""
    for d in candidates():
        if (d / "index.json").is_file():
            return d
    return write_dir()


def docs_dir(catalog: Path) -> Path:
    return catalog / "docs"


def models_dir(catalog: Path) -> Path:
    return catalog / "models"
