"""The runtime builds the client's request itself (transport.build): a URL it built is not parsed again.
Whatever it builds must be what the client's own parse would have built, and anything it did not build
(a redirect target, odd text) goes through the client's parse."""

from __future__ import annotations

import httpx2
from hypothesis import given, settings
from hypothesis import strategies as st

from zoom_actions import transport

ORIGINS = st.sampled_from(["https://api.zoom.us", "http://127.0.0.1:8080", "https://API.Zoom.US:443",
                           "http://[::1]:9000", "https://eu01api-www4local.zoom.us", "http://sandbox.localhost"])
SAFE = st.text(alphabet="abcXYZ019-._~!$&'()*+,;=:@%/?#é ", max_size=40)


def _same(url: str) -> None:
    built = transport._url(url)
    if built is None:
        return
    mine, host = built
    theirs = httpx2.URL(url)
    assert (mine.scheme, mine.host, mine.port, mine.raw_path, mine.query) == \
        (theirs.scheme, theirs.host, theirs.port, theirs.raw_path, theirs.query)
    assert str(mine) == str(theirs) and host == theirs.netloc.decode("ascii")


@settings(max_examples=500, deadline=None)
@given(ORIGINS, SAFE)
def test_a_built_url_is_what_the_client_parses(origin, rest):
    _same(origin + "/" + rest)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_either_parsed_by_the_client_or_the_same(text):
    _same(text)
    _same("https://api.zoom.us/" + text)


def test_what_needs_the_clients_parse_gets_it():
    for url in ("https://api.zoom.us/v2/a/../b", "https://api.zoom.us/v2/./b", "https://u:p@api.zoom.us/v2/x",
                "https://api.zoom.us/v2/x#frag", "https://api.zoom.us/v2/a b", "https://api.zoom.us/v2/%zz",
                "https://api.zoom.us/v2/\r\nX-Injected: 1", "api.zoom.us/v2/x", "https://api.zoom.us"):
        assert transport._url(url) is None, url


def test_request_headers_and_body():
    to = transport.timeouts(5.0)
    get = transport.build("GET", "https://api.zoom.us/v2/meetings/1", {"Authorization": "Bearer t"}, to)
    assert get.headers["host"] == "api.zoom.us" and "content-length" not in get.headers
    assert get.extensions["timeout"] == to and get.read() == b""
    post = transport.build("POST", "http://127.0.0.1:9/v2/users/me/meetings", {}, to, b'{"topic":"x"}')
    assert post.headers["host"] == "127.0.0.1:9" and post.headers["content-length"] == "13"
    assert post.read() == b'{"topic":"x"}'
    empty = transport.build("PATCH", "http://127.0.0.1:9/v2/x", {}, to)
    assert empty.headers["content-length"] == "0"
    form = transport.build("POST", "http://127.0.0.1:9/v2/x", {}, to, data={"a": "1"})
    assert form.headers["content-type"] == "application/x-www-form-urlencoded" and form.read() == b"a=1"
