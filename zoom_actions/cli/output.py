"""Writing a command's result to standard output."""

from __future__ import annotations

import sys


def out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
