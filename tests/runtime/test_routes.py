"""Gateway routes rewrite requests exactly as Lava's and Maton's docs say
(seeds 000 and 003), and URL safety rules."""

from __future__ import annotations

import json

import pytest

from zoom_actions.routes import Direct, Lava, Maton, check_url

LAVA_KEY = "lava-secret-key-ABCDEFG"
MATON_KEY = "maton-api-key-HIJKLMN"


@pytest.fixture
def lava_tk(make_tk, server):
    return make_tk(route=Lava(secret_key=LAVA_KEY, url=server.url + "/v1/forward"), base_url=None)


@pytest.fixture
def maton_tk(make_tk, server):
    return make_tk(route=Maton(api_key=MATON_KEY, url=server.url + "/zoom/v2"), base_url=None)


# The documented curl examples of Lava's Zoom page, verbatim.
LAVA_DOCS = [
    ("ZOOM_LIST_MEETINGS", {"userId": "me", "type": "upcoming", "page_size": 30}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fusers%2Fme%2Fmeetings%3Ftype%3Dupcoming%26page_size%3D30", None),
    ("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Project sync", "type": 2,
                               "start_time": "2026-06-25T15:00:00Z", "duration": 30, "timezone": "America/New_York",
                               "settings__join_before_host": False, "settings__waiting_room": True},
     "POST", "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fusers%2Fme%2Fmeetings",
     {"topic": "Project sync", "type": 2, "start_time": "2026-06-25T15:00:00Z", "duration": 30,
      "timezone": "America/New_York", "settings": {"join_before_host": False, "waiting_room": True}}),
    ("ZOOM_GET_A_MEETING", {"meetingId": 89012345678}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fmeetings%2F89012345678", None),
    ("ZOOM_UPDATE_A_MEETING", {"meetingId": 89012345678, "start_time": "2026-06-25T16:00:00Z", "duration": 45},
     "PATCH", "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fmeetings%2F89012345678",
     {"start_time": "2026-06-25T16:00:00Z", "duration": 45}),
    ("ZOOM_DELETE_A_MEETING", {"meetingId": 89012345678}, "DELETE",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fmeetings%2F89012345678", {}),
    ("ZOOM_LIST_ALL_RECORDINGS", {"userId": "me", "from": "2026-06-01", "to": "2026-06-23", "page_size": 30}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fusers%2Fme%2Frecordings%3Ffrom%3D2026-06-01%26to%3D2026-06-23"
     "%26page_size%3D30", None),
    ("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "89012345678"}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fmeetings%2F89012345678%2Frecordings", None),
    ("ZOOM_GET_A_MEETING_SUMMARY", {"meetingId": "89012345678"}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fmeetings%2F89012345678%2Fmeeting_summary", None),
    ("ZOOM_GET_PAST_MEETING_PARTICIPANTS", {"meetingId": "89012345678", "page_size": 30}, "GET",
     "/v1/forward?u=https%3A%2F%2Fapi.zoom.us%2Fv2%2Fpast_meetings%2F89012345678%2Fparticipants%3Fpage_size%3D30",
     None),
]


@pytest.mark.parametrize("name,params,method,target,body", LAVA_DOCS, ids=[c[0] for c in LAVA_DOCS])
def test_lava_matches_its_docs(lava_tk, server, name, params, method, target, body):
    env = lava_tk.execute(name, params)
    assert env["successful"], env
    (seen,) = server.api_requests()
    assert seen.method == method
    assert seen.target == target
    assert seen.headers["authorization"] == f"Bearer {LAVA_KEY}"
    if body is None:
        assert seen.body == b"" and "content-type" not in seen.headers
    else:
        assert seen.headers["content-type"] == "application/json"
        assert json.loads(seen.body) == body


def test_lava_sends_json_body_on_every_non_get(lava_tk, server, catalog):
    # POST with no body parameters at all, PUT, DELETE: each carries {} when it has nothing else.
    assert lava_tk.execute("ZOOM_DELETE_MEETING_RECORDINGS", {"meetingId": "1"})["successful"]
    assert lava_tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": 1})["successful"]
    sent = server.api_requests()
    assert [s.method for s in sent] == ["DELETE", "PUT"]
    for s in sent:
        assert s.body == b"{}" and s.headers["content-type"] == "application/json"


def test_lava_double_encoded_uuid_survives_the_forward(lava_tk, server):
    from urllib.parse import parse_qs
    assert lava_tk.execute("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "/abc=="})["successful"]
    u = parse_qs(server.last.query)["u"][0]   # what Lava decodes and calls
    assert u == "https://api.zoom.us/v2/meetings/%252Fabc%253D%253D/recordings"


def test_maton_prefix_gateway(maton_tk, server):
    env = maton_tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 50})
    assert env["successful"], env
    seen = server.last
    assert (seen.method, seen.target) == ("GET", "/zoom/v2/users/me/meetings?page_size=50")
    assert seen.headers["authorization"] == f"Bearer {MATON_KEY}"
    assert "maton-connection" not in seen.headers
    assert maton_tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": 82931897821, "topic": "Updated Weekly Sync",
                                                      "duration": 45})["successful"]
    seen = server.last
    assert (seen.method, seen.target) == ("PATCH", "/zoom/v2/meetings/82931897821")
    assert seen.json() == {"topic": "Updated Weekly Sync", "duration": 45}
    assert maton_tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})["successful"]
    assert server.last.body == b""   # Maton does not want a body on DELETE


def test_maton_connection_header(make_tk, server):
    tk = make_tk(route=Maton(api_key=MATON_KEY, connection="conn-42", url=server.url + "/zoom/v2"), base_url=None)
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert server.last.headers["maton-connection"] == "conn-42"
    assert server.last.target == "/zoom/v2/meetings/1"


def test_route_names_and_base_url(make_tk, server, monkeypatch):
    monkeypatch.setenv("MATON_API_KEY", MATON_KEY)
    tk = make_tk(route="maton", base_url=server.url + "/zoom/v2")
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 3})["successful"]
    assert server.last.target == "/zoom/v2/meetings/3"
    assert server.last.headers["authorization"] == f"Bearer {MATON_KEY}"


def test_gateway_without_key_is_an_envelope(make_tk, server, monkeypatch):
    monkeypatch.delenv("LAVA_SECRET_KEY", raising=False)
    tk = make_tk(route="lava", base_url=server.url + "/v1/forward")
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 3})
    assert not env["successful"] and "LAVA_SECRET_KEY" in env["error"]
    assert server.api_requests() == []


@pytest.mark.parametrize("url", ["http://api.zoom.us/v2", "http://10.0.0.1/v2", "ftp://x/v2", "https://",
                                 "https://user:pw@api.zoom.us/v2", "https://api.zoom.us/v2?x=1", "not a url"])
def test_plain_http_and_odd_urls_are_refused(url):
    with pytest.raises(ValueError):
        check_url(url, "base_url")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v2", "http://localhost/v2", "http://[::1]:9/v2",
                                 "https://api.zoom.us/v2"])
def test_https_and_loopback_are_accepted(url):
    assert check_url(url, "base_url") == url


def test_toolkit_refuses_plain_http_base_and_token_url(catalog):
    from zoom_actions import Toolkit
    with pytest.raises(ValueError, match="plain http"):
        Toolkit(access_token="x" * 10, base_url="http://api.example.com/v2", catalog=catalog)
    with pytest.raises(ValueError, match="plain http"):
        Toolkit(account_id="a", client_id="b", client_secret="c" * 10, token_url="http://zoom.us/oauth/token",
                catalog=catalog)
    with pytest.raises(ValueError):
        Lava(secret_key="k" * 10, url="http://lava.example/v1/forward")


def test_direct_default_is_zoom():
    assert Direct().url(None, "/users/me", "") == "https://api.zoom.us/v2/users/me"
    assert Direct().url("https://api-eu.zoom.us/v2", "/users/me", "a=1") == "https://api-eu.zoom.us/v2/users/me?a=1"
    assert Direct("https://x.zoom.us/v2", explicit=True).url("https://api-eu.zoom.us/v2", "/u", "") == \
        "https://x.zoom.us/v2/u"
