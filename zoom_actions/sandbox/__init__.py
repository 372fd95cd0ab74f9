"""A local Zoom stand-in: Zoom's REST API on loopback, with state.

>>> from zoom_actions.sandbox import start_in_thread
>>> with start_in_thread() as srv:          # in memory; db="file.db" keeps state
...     srv.base_url                        # 'http://127.0.0.1:PORT/v2'

Any Zoom client can point its base URL at ``srv.base_url`` with any bearer
token. See ``server`` for what it answers and ``faults`` for injected 429s
and latency.
"""

from __future__ import annotations

from .faults import Faults
from .server import RunningSandbox, Sandbox, make_server, start_in_thread
from .transport import InProcessSandbox, SandboxTransport, open_in_process
from .store import MemoryStore, SqliteStore, Store, default_db_path, open_store

__all__ = ["start_in_thread", "make_server", "RunningSandbox", "Sandbox", "Faults", "Store", "MemoryStore",
           "SqliteStore", "open_store", "default_db_path", "open_in_process", "InProcessSandbox",
           "SandboxTransport"]
