"""Secrets at rest: what the store keeps of tokens and client secrets is
ciphertext (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``).

The key comes from ``ZOOM_ACTIONS_SECRET_KEY``: a Fernet key
(``zoom-actions connections keygen`` prints a new one), or several separated
by commas to rotate (the first encrypts, any decrypts). Without a key the
vault refuses to seal, unless it was opened with ``insecure_plaintext=True``
(``--insecure-plaintext``): then values are kept as they are, marked so, and
a warning says it.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

log = logging.getLogger("zoom_actions")
ENV = "ZOOM_ACTIONS_SECRET_KEY"
_PLAIN = "plain:"
_SEALED = "fernet:"


class VaultError(RuntimeError):
    """No key, a bad key, or ciphertext this key cannot open; the message says which."""


def new_key() -> str:
    from cryptography.fernet import Fernet
    return Fernet.generate_key().decode()


class Vault:
    def __init__(self, key: str | None = None, *, insecure_plaintext: bool = False) -> None:
        raw = key if key is not None else os.environ.get(ENV, "")
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        self.insecure_plaintext = insecure_plaintext and not keys
        self._fernet = None
        if keys:
            from cryptography.fernet import Fernet, MultiFernet
            try:
                self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
            except (ValueError, TypeError):
                raise VaultError(f"{ENV} is not a Fernet key (32 url-safe base64-encoded bytes); "
                                 "`zoom-actions connections keygen` prints a new one") from None

    @property
    def can_seal(self) -> bool:
        return self._fernet is not None or self.insecure_plaintext

    def seal(self, secrets: dict[str, Any]) -> str:
        """``secrets`` as one string fit for the store."""
        text = json.dumps(secrets, separators=(",", ":"))
        if self._fernet is not None:
            return _SEALED + self._fernet.encrypt(text.encode()).decode()
        if self.insecure_plaintext:
            log.warning("storing Zoom credentials unencrypted (--insecure-plaintext); set %s", ENV)
            return _PLAIN + text
        raise VaultError(f"refusing to store Zoom credentials unencrypted: set {ENV} to a Fernet key "
                         "(`zoom-actions connections keygen` prints one), or pass --insecure-plaintext")

    def open(self, sealed: str) -> dict[str, Any]:
        if sealed.startswith(_PLAIN):
            return json.loads(sealed[len(_PLAIN):])
        if not sealed.startswith(_SEALED):
            raise VaultError("a stored secret in an unknown format")
        if self._fernet is None:
            raise VaultError(f"the stored credentials are encrypted: set {ENV} to the key they were sealed with")
        from cryptography.fernet import InvalidToken
        try:
            return json.loads(self._fernet.decrypt(sealed[len(_SEALED):].encode()))
        except InvalidToken:
            raise VaultError(f"the stored credentials cannot be opened with this {ENV} (another key, or "
                             "altered ciphertext)") from None
