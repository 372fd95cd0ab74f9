"""The embedded model behind semantic search, loaded without the network.

wordllama (the ``search`` extra) ships its weights and tokenizer inside its
wheel. ``WordLlama.load()`` looks for the tokenizer in ``wordllama/tokenizer/``
while the wheel has ``wordllama/tokenizers/``, and would then download it;
pointed at its own package directory as the cache, with downloads disabled,
it finds both files and never opens a connection. Importing wordllama also
calls ``logging.basicConfig()``, which would make every INFO record of the
host application print; the root logger is put back as it was.

Without wordllama installed, ``model()`` is None and search says once, in
the log, that it ranks lexically. The catalog's vectors are computed once
and kept on disk in the user cache, keyed by a hash of the model and of the
very texts embedded (so a rebuilt catalog, or a change to what is embedded,
is a new key).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

MODEL = "wordllama l2_supercat 256"
_UNSET = object()
_lock = threading.Lock()
_model = _UNSET


def model():
    """The loaded model (``WordLlamaInference``), or None without wordllama."""
    global _model
    if _model is _UNSET:
        with _lock:
            if _model is _UNSET:
                _model = _load()
    return _model


def _load():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    except ImportError:
        log.warning("wordllama is not installed (pip install 'zoom-actions[search]'): action search ranks "
                    "lexically, without the semantic model")
        return None
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    package = Path(wordllama.__file__).resolve().parent
    return wordllama.WordLlama.load(cache_dir=package, disable_download=True)


def embed(texts: list[str]):
    """Unit vectors (float32, one row a text)."""
    return model().embed(texts, norm=True)


def matrix(texts: list[str], cache: Path | None):
    """The texts' vectors, read from ``cache`` when an earlier process computed them."""
    import numpy as np
    key = hashlib.sha256("\x00".join([MODEL, *texts]).encode()).hexdigest()[:32]
    path = cache / f"vectors-{key}.npy" if cache is not None else None
    if path is not None:
        try:
            loaded = np.load(path, allow_pickle=False)
            if loaded.shape[0] == len(texts):
                return loaded
        except (OSError, ValueError):
            pass
    vectors = np.ascontiguousarray(embed(texts), dtype=np.float32)
    if path is not None:
        _save(path, vectors)
    return vectors


_KEEP = 6   # vector files kept (two per catalog: actions and phrases): a few catalogs side by side, not every one


def _prune(directory: Path, keep: Path) -> None:
    files = sorted(directory.glob("vectors-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [f for f in files if f != keep][_KEEP - 1:]:
        old.unlink(missing_ok=True)


def _save(path: Path, vectors) -> None:
    """Atomically (a reader never sees half a file); a cache that cannot be written is no error."""
    import numpy as np
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vectors-", suffix=".npy")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, vectors, allow_pickle=False)
        os.replace(tmp, path)
        _prune(path.parent, keep=path)
    except OSError as exc:
        log.debug("search vectors not cached at %s: %s", path, exc)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
