"""zoom-actions: every Zoom REST operation as an LLM-ready action."""

from __future__ import annotations

from .catalog import Catalog, CatalogNotBuilt, load_catalog

__all__ = ["Catalog", "CatalogNotBuilt", "load_catalog", "Toolkit"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The runtime pulls in httpx; keep `import zoom_actions` cheap for catalog-only use.
    if name == "Toolkit":
        from .toolkit import Toolkit
        return Toolkit
    raise AttributeError(name)
