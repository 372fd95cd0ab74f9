"""Connected accounts against the sandbox's OAuth server over HTTP: the
PKCE code flow, the store (secrets sealed), calls through a connection,
rotation written back, revoke, refusals that store nothing, and the
"authorization required" envelope."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.connections import Connection
from zoom_actions.oauth import OAuthApp, OAuthError, begin, finish, revoke
from zoom_actions.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from zoom_actions.vault import Vault, VaultError, new_key

REDIRECT = "http://127.0.0.1:9/callback"   # never contacted: the test reads the redirect itself


def _app(sandbox) -> OAuthApp:
    return OAuthApp(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, REDIRECT, base=sandbox.origin)


def _consent(url: str, decision: str = "allow") -> dict[str, str]:
    """What a browser does on the consent page: load it, press a button, follow to the redirect URI."""
    with httpx2.Client(follow_redirects=False, timeout=10) as http:
        page = http.get(url)
        assert page.status_code == 200 and "Allow" in page.text and "meeting:read:meeting" in page.text
        nonce = re.search(r"name='request' value='([^']+)'", page.text).group(1)
        origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        back = http.post(origin + "/oauth/authorize", data={"request": nonce, "decision": decision})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}


def test_connect_store_call_rotate_revoke(sandbox, conns, tmp_path):
    app = _app(sandbox)
    url = begin(app, conns, user_id="alice", name="alice-work")
    q = parse_qs(urlsplit(url).query)
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43
    conn = finish(app, conns, _consent(url))
    assert (conn.user_id, conn.name, conn.kind) == ("alice", "alice-work", "user_oauth")
    _, secrets = conns.load("alice", "alice-work")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*") if p.is_file())
    for value in (secrets["access_token"], secrets["refresh_token"], SANDBOX_CLIENT_SECRET):
        assert value.encode() not in raw   # sealed at rest

    with Toolkit(base_url=sandbox.base_url, store=conns.store, connection="alice-work", user_id="alice") as tk:
        assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
        first_refresh = secrets["refresh_token"]
        sandbox.app.oauth.expire_access_tokens()      # the next call must refresh
        env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
        assert env["successful"], env
    _, rotated = conns.load("alice", "alice-work")
    assert rotated["refresh_token"] != first_refresh and sandbox.app.oauth.presented[first_refresh] == 1

    revoke(app, rotated["access_token"])
    assert conns.delete("alice-work", "alice")
    with httpx2.Client() as http:
        r = http.get(sandbox.base_url + "/users/me", headers={"Authorization": "Bearer " + rotated["access_token"]})
    assert r.status_code == 401 and r.json()["code"] == 124


@pytest.mark.parametrize("tamper", ["deny", "forged-state", "reused-state", "reused-code", "bad-verifier"])
def test_refusals_store_nothing(sandbox, conns, tamper):
    app = _app(sandbox)
    url = begin(app, conns, name="x")
    if tamper == "deny":
        with pytest.raises(OAuthError, match="not granted"):
            finish(app, conns, _consent(url, "deny"))
    elif tamper == "forged-state":
        params = _consent(url)
        with pytest.raises(OAuthError, match="could not be verified"):
            finish(app, conns, {**params, "state": "forged"})
    elif tamper == "reused-state":
        params = _consent(url)
        finish(app, conns, params)
        conns.delete("x")
        with pytest.raises(OAuthError, match="could not be verified"):
            finish(app, conns, params)
    elif tamper == "reused-code":
        params = _consent(url)
        again = begin(app, conns, name="x")
        finish(app, conns, params)
        conns.delete("x")
        state = parse_qs(urlsplit(again).query)["state"][0]
        with pytest.raises(OAuthError, match="refused"):
            finish(app, conns, {"code": params["code"], "state": state})
    else:
        params = _consent(url)
        pending = conns.store.items("oauth-pending")
        key, record = pending[0]
        conns.store.put("oauth-pending", key, {**record, "verifier": conns.vault.seal({"verifier": "x" * 50})})
        with pytest.raises(OAuthError, match="refused"):
            finish(app, conns, params)
    assert conns.list() == []


def test_a_user_without_a_connection_gets_authorization_required(sandbox, conns):
    with Toolkit(base_url=sandbox.base_url, store=conns.store, connect_url="https://app.example/zoom/connect") as tk:
        env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"}, user_id="bob")
    assert env["successful"] is False and env["error"].startswith("Authorization required")
    assert env["data"]["authorization_required"] is True
    assert env["data"]["connect_url"] == "https://app.example/zoom/connect?user_id=bob"
    assert "ZOOM_LIST_MEETINGS" in env["error"] and "nothing was sent" in env["error"]


def test_one_toolkit_serves_many_users(sandbox, conns):
    conns.save(Connection(user_id="u1", name="work", kind="token"), {"access_token": "token-of-user-one"})
    conns.save(Connection(user_id="u2", name="work", kind="token"), {"access_token": "token-of-user-two"})
    seen = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["authorization"])
        return httpx2.Response(200, json={"id": "x"})
    with Toolkit(transport=httpx2.MockTransport(handler), base_url="http://127.0.0.1:9/v2", store=conns.store) as tk:
        assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"}, user_id="u1")["successful"]
        assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"}, user_id="u2", connection="work")["successful"]
    assert seen == ["Bearer token-of-user-one", "Bearer token-of-user-two"]


def test_the_vault_refuses_without_a_key_and_detects_tampering(monkeypatch):
    monkeypatch.delenv("ZOOM_ACTIONS_SECRET_KEY", raising=False)
    with pytest.raises(VaultError, match="refusing to store"):
        Vault().seal({"a": "b"})
    plain = Vault(insecure_plaintext=True)
    assert plain.open(plain.seal({"a": "b"})) == {"a": "b"}
    key = new_key()
    sealed = Vault(key).seal({"refresh_token": "rt-secret"})
    assert "rt-secret" not in sealed
    with pytest.raises(VaultError, match="cannot be opened"):
        Vault(new_key()).open(sealed)
    with pytest.raises(VaultError, match="cannot be opened"):
        Vault(key).open(sealed[:-4] + "AAAA")
    rotated = Vault(f"{new_key()},{key}")   # a new first key; the old one still opens
    assert rotated.open(sealed) == {"refresh_token": "rt-secret"}
    with pytest.raises(VaultError, match="not a Fernet key"):
        Vault("not-a-key")


def test_a_connection_records_whose_account_it_is(sandbox, conns, tmp_path):
    """GET /users/me after the exchange: the user and the account, so that the rate limiter keys this
    user's calls on the account (Zoom's limits are per account), not on the connection's name."""
    from zoom_actions.shared_limits import limiter_account
    app = _app(sandbox)
    conn = finish(app, conns, _consent(begin(app, conns, user_id="carol", name="carol-work")))
    with httpx2.Client() as http:
        _, secrets = conns.load("carol", "carol-work")
        seen = http.get(sandbox.base_url + "/users/me", headers={"Authorization": "Bearer " + secrets["access_token"]})
    assert conn.zoom_user == {"id": seen.json()["id"], "email": seen.json()["email"],
                              "account_id": seen.json()["account_id"]}
    assert conns.get("carol-work", "carol").zoom_user == conn.zoom_user          # stored with it
    assert limiter_account(f"sqlite:///{tmp_path / 'store.db'}", None, "carol-work", "carol") == \
        seen.json()["account_id"]
    assert seen.json()["account_id"]


def test_a_failed_identity_lookup_still_connects(sandbox, conns, monkeypatch):
    import zoom_actions.oauth as oauth
    app = OAuthApp(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, REDIRECT, base=sandbox.origin)
    monkeypatch.setattr(oauth.OAuthApp, "api_base", property(lambda self: "http://127.0.0.1:9/v2"))   # nothing there
    conn = finish(app, conns, _consent(begin(app, conns, user_id="dave", name="dave-work")))
    assert conn.zoom_user is None and conns.get("dave-work", "dave").kind == "user_oauth"
