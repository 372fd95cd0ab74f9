"""Secrets shorter than six characters are masked where they stand as a value
(a whole token), not inside longer words; longer secrets are masked wherever
they occur. Masking stays fast with thousands of secrets registered."""

from __future__ import annotations

import json
import logging
import time

from zoom_actions import redact

from .recorder import Reply

# Unusual letter pairs: registered for the whole process, they must not mask other tests' text.
SHORT = "qZ"
FIVE = "Zq4x9"


def _register(*values: str) -> None:
    for value in values:
        redact.remember(value, pinned=True)


def test_a_two_character_query_value_is_masked():
    _register(SHORT)
    assert redact.scrub(f"GET /v2/users?access_token={SHORT}&page_size=30") == \
        "GET /v2/users?access_token=***&page_size=30"
    assert redact.scrub(f"/v2/users/{SHORT}/meetings") == "/v2/users/***/meetings"
    assert redact.scrub(f"?next={SHORT}") == "?next=***"
    assert redact.scrub(f"id=%22{SHORT}%22") == "id=%22***%22"      # percent-encoded quotes around it


def test_a_two_character_header_value_is_masked():
    _register(SHORT)
    assert redact.scrub(f"authorization: Bearer {SHORT}") == "authorization: Bearer ***"
    assert redact.scrub(f"X-Api-Key:{SHORT}\r\nHost: zoom.us") == "X-Api-Key:***\r\nHost: zoom.us"
    assert redact.scrub(f"[(b'Authorization', b'Basic {SHORT}')]") == "[(b'Authorization', b'Basic ***')]"


def test_a_two_character_json_string_value_is_masked():
    _register(SHORT)
    body = json.dumps({"password": SHORT, "list": [SHORT, 1], "note": f"line one\n{SHORT}"})
    clean = json.loads(redact.scrub(body))
    assert clean == {"password": "***", "list": ["***", 1], "note": "line one\n***"}
    assert redact.scrub_data({"password": SHORT, "nested": {"k": [SHORT]}}) == \
        {"password": "***", "nested": {"k": ["***"]}}


def test_the_same_letters_inside_a_longer_word_are_left_alone():
    _register(SHORT, FIVE)
    text = (f"x{SHORT} {SHORT}x a{SHORT}b {SHORT}_id {SHORT}9 é{SHORT} {SHORT}ü "
            f"{FIVE}0 z{FIVE} {SHORT}{SHORT} meeting {SHORT.lower()} {SHORT.upper()}")
    assert redact.scrub(text) == text
    # a word holding the letters and the bare value side by side: only the value goes
    assert redact.scrub(f"{SHORT}ebra, {SHORT}, {FIVE}s, {FIVE}.") == f"{SHORT}ebra, ***, {FIVE}s, ***."


def test_secrets_of_six_characters_or_more_are_masked_anywhere():
    _register("Kp7mW2", "Kp7mW")
    assert redact.scrub("prefixKp7mW2suffix Kp7mWx Kp7mW") == "prefix***suffix Kp7mWx ***"


def test_a_short_secret_echoed_by_the_server_is_masked_in_the_envelope(make_tk, server, caplog):
    caplog.set_level(logging.DEBUG)
    tk = make_tk(access_token=SHORT)

    def echo(seen):
        auth = seen.headers.get("authorization", "")
        return Reply(400, {"code": 300, "message": f"{SHORT}ebra rejected {auth} (token={SHORT}, x{SHORT})"})

    server.respond(echo)
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"]
    assert server.last.headers["authorization"] == f"Bearer {SHORT}"
    assert f"{SHORT}ebra rejected Bearer *** (token=***, x{SHORT})" in env["error"], env["error"]
    assert f" {SHORT}" not in caplog.text and f"={SHORT}" not in caplog.text


def test_masking_stays_linear_with_short_and_long_secrets():
    for i in range(2048):                            # 5-character values, all sharing the first letter
        redact.remember(f"Q{i:03x}z")
    for i in range(2048):                            # 4,096 in all: the rotating list keeps every one
        redact.remember(f"tok-short-{i:05d}-" + "w" * 24)
    _register(SHORT)
    # worst case for the short branch: every word walks down the trie and fails on its last neighbour
    body = ("Q1a2zz xQ7ffz qZa " * 60_000)[:1_000_000] + f" {SHORT} Q1a2z tok-short-00042-" + "w" * 24
    redact.scrub("warm")                             # the matcher is built once per change
    start = time.perf_counter()
    out = redact.scrub(body)
    assert time.perf_counter() - start < 1.0
    assert out.endswith(" *** *** ***")
    assert out.startswith("Q1a2zz xQ7ffz qZa Q1a2zz")
