"""Workflows (spec/workflows.json), run against the in-process sandbox: the
transcript of a seeded meeting in one call, a recurring meeting's past
occurrences by UUID (one starting with `/`), a recording saved into
upload_dir and nowhere else, failures that name their step, and the
workflows listed, searched and offered as tools like any action."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from datetime import timedelta

import pytest

from zoom_actions import Toolkit
from zoom_actions.workflows import WorkflowError, compile_workflows, load_declarations

TRANSCRIPT = "ZOOM_GET_MEETING_TRANSCRIPT_TEXT"
OCCURRENCES = "ZOOM_LIST_PAST_MEETING_OCCURRENCES"
OCCURRENCE = "ZOOM_GET_PAST_MEETING_OCCURRENCE"
SAVE = "ZOOM_SAVE_RECORDING_FILE"
TOKEN = "workflow-test-token-0123456789"   # long: a secret is masked wherever it appears in a message


@pytest.fixture(scope="module")
def wf_catalog(catalog):
    if TRANSCRIPT not in catalog:
        msg = (f"the catalog at {catalog.directory} predates workflows: rebuild it with `zoom-actions generate` "
               "(or point ZOOM_ACTIONS_DIR at one built with spec/workflows.json)")
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return catalog


class Seen:
    """Every raw request target the sandbox gets (API calls and downloads alike)."""

    def __init__(self, tk: Toolkit) -> None:
        self.targets: list[str] = []
        self.auth: list[str | None] = []
        transport = tk._sandbox.transport
        answer = transport._answer

        def spy(request):
            self.targets.append(request.url.raw_path.decode("ascii"))
            self.auth.append(request.headers.get("authorization"))
            return answer(request)
        transport._answer = spy


@pytest.fixture
def sb(wf_catalog, tmp_path):
    tk = Toolkit(sandbox=True, catalog=wf_catalog, upload_dir=tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    tk.seen = Seen(tk)
    yield tk
    tk.close()


def _served_vtt(tk: Toolkit, meeting_key) -> str:
    from zoom_actions.sandbox import history
    store = tk._sandbox.store
    with store.transaction():
        rec = [r for r in store.list("recording") if str(r["id"]) == str(meeting_key) or r["uuid"] == meeting_key][-1]
        f = next(f for f in rec["recording_files"] if f["file_type"] == "TRANSCRIPT")
        return history.recording_file(store, f["id"])[1].decode()


def _cues_of(vtt: str) -> list[tuple[str, str]]:
    """The served file's cues, read plainly: (start, 'speaker: text')."""
    lines = vtt.splitlines()
    return [(lines[i].split(" --> ")[0], lines[i + 1]) for i in range(len(lines)) if " --> " in lines[i]]


# --- the transcript ---------------------------------------------------------------------

def test_transcript_text_of_a_seeded_meeting_in_one_call(sb):
    meeting = sb._sandbox.seed_ids["meetings"]["customer_onboarding"]
    env = sb.execute(TRANSCRIPT, {"meetingId": meeting})
    assert env["successful"], env["error"]
    expected = _cues_of(_served_vtt(sb, meeting))
    data = env["data"]
    assert data["text"].splitlines() == [line for _, line in expected]
    assert [c["start"] for c in data["cues"]] == [start for start, _ in expected]
    assert data["cue_count"] == len(expected) == 10
    assert data["cues"][0]["speaker"] == "Sam Rivera" and data["cues"][0]["text"].startswith("Thanks for joining")
    assert data["speakers"] == ["Sam Rivera", "Lena Park", "Avery Chen", "Tom Becker"]
    assert data["meeting"]["topic"] == "Customer Onboarding: Acme Corp" and data["file"]["file_type"] == "TRANSCRIPT"
    # one recordings call, one download with the bearer; the download URL never appears in the answer
    assert [t.split("?")[0].rsplit("/", 1)[0] for t in sb.seen.targets] == [
        f"/v2/meetings/{meeting}", "/rec/download"]
    assert all(a and a.startswith("Bearer ") for a in sb.seen.auth)
    assert "download" not in str(data)


def test_transcript_by_uuid_is_double_encoded_and_without_cues(sb):
    uuid = sb._sandbox.seed_ids["past_meeting_uuids"]["customer_onboarding"]
    assert uuid.startswith("/")
    env = sb.execute(TRANSCRIPT, {"meetingId": uuid, "include_cues": False})
    assert env["successful"], env["error"]
    assert "cues" not in env["data"] and env["data"]["cue_count"] == 10
    assert sb.seen.targets[0].startswith("/v2/meetings/%252F")   # "/" -> %2F -> %252F


def test_transcript_of_yesterdays_meeting_without_an_id(sb):
    today = sb._sandbox.store.get("meta", "seed")["seeded_at"][:10]
    from datetime import date
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    env = sb.execute(TRANSCRIPT, {"from": yesterday, "to": today, "topic": "acme"})
    assert env["successful"], env["error"]
    assert env["data"]["meeting"]["topic"].startswith("Customer Onboarding")
    assert sb.seen.targets[0].startswith("/v2/users/me/recordings")
    missing = sb.execute(TRANSCRIPT, {"from": yesterday, "to": today, "topic": "no such topic"})
    assert not missing["successful"] and "no recorded meeting whose topic contains 'no such topic'" in missing["error"]


def test_transcript_async_matches_sync(sb):
    meeting = sb._sandbox.seed_ids["meetings"]["weekly_sync"]

    async def go():
        return await sb.aexecute(TRANSCRIPT, {"meetingId": meeting})
    env = asyncio.run(go())
    assert env["successful"], env["error"]
    assert env["data"]["text"] == sb.execute(TRANSCRIPT, {"meetingId": meeting})["data"]["text"]
    assert env["data"]["text"].startswith("Avery Chen: Morning all.")


def test_a_failing_step_is_named(sb):
    seed = sb._sandbox.seed_ids
    env = sb.execute(TRANSCRIPT, {"meetingId": seed["meetings"]["roadmap_review"]})   # never recorded
    assert not env["successful"]
    assert env["error"].startswith(f"{TRANSCRIPT} stopped at step 'recordings' (ZOOM_GET_MEETING_RECORDINGS): ")
    assert "3301" in env["error"] and env["data"]["failed_step"] == "recordings"
    # the download step fails too once the file is gone
    meeting = seed["meetings"]["customer_onboarding"]
    sb._sandbox.app.download = lambda *a, **k: (404, {"Content-Type": "application/json"},
                                                 b'{"code": 3301, "message": "gone"}')
    env = sb.execute(TRANSCRIPT, {"meetingId": meeting})
    assert not env["successful"] and env["data"]["failed_step"] == "download"
    assert f"{TRANSCRIPT} stopped at step 'download'" in env["error"] and "HTTP 404" in env["error"]


def test_workflow_and_step_hooks_fire(sb):
    seen = []
    sb.before_execute("*")(lambda action, params: seen.append(("before", action["name"])))
    sb.after_execute("*")(lambda action, env: seen.append(("after", action["name"], env["successful"])))
    sb.execute(TRANSCRIPT, {"meetingId": sb._sandbox.seed_ids["meetings"]["customer_onboarding"]})
    assert seen == [("before", TRANSCRIPT), ("before", "ZOOM_GET_MEETING_RECORDINGS"),
                    ("after", "ZOOM_GET_MEETING_RECORDINGS", True), ("after", TRANSCRIPT, True)]
    # a before hook on the workflow can refuse it: nothing is sent
    sb.before_execute(TRANSCRIPT)(lambda action, params: {"data": {}, "successful": False, "error": "no"})
    sb.seen.targets.clear()
    assert sb.execute(TRANSCRIPT, {"meetingId": 1})["error"] == "no" and sb.seen.targets == []


def test_bad_input_is_refused_before_any_step(sb):
    env = sb.execute(OCCURRENCE, {"meetingId": "123", "what": "everything"})
    assert not env["successful"] and "what" in env["error"] and sb.seen.targets == []


# --- past occurrences -----------------------------------------------------------------------

SLASH_UUID = "/zT4mEZsSq2f//Yw1qKjAlA=="


def _add_occurrence(tk: Toolkit) -> tuple[int, str]:
    """Another ended sitting of the weekly sync, a day after the seeded one, whose UUID needs double encoding."""
    from zoom_actions.sandbox import history, ids
    from zoom_actions.sandbox.meetings import MEETING
    store = tk._sandbox.store
    sync = tk._sandbox.seed_ids["meetings"]["weekly_sync"]
    with store.transaction():
        doc = store.get("meeting", str(sync))
        old = history.instances(store, MEETING, sync)[-1]
        start = ids.parse_time(old["start_time"]) + timedelta(days=1)
        history.record_instance(store, MEETING, doc, start, start + timedelta(minutes=30),
                                [{"name": "Avery Chen", "email": "avery.chen@example.com"},
                                 {"name": "Mei Tanaka", "email": "mei.tanaka@example.com"}],
                                random.Random(7), uuid=SLASH_UUID)
    return sync, old["start_time"][:10]


def test_recurring_meeting_occurrences_resolve_to_uuids(sb):
    sync, first_day = _add_occurrence(sb)
    env = sb.execute(OCCURRENCES, {"meetingId": sync, "with_details": True})
    assert env["successful"], env["error"]
    occ = env["data"]["occurrences"]
    assert env["data"]["total"] == 2 and [o["uuid"] for o in occ] == [
        SLASH_UUID, sb._sandbox.seed_ids["past_meeting_uuids"]["weekly_sync"]]
    assert occ[0]["participants_count"] == 2 and occ[1]["participants_count"] == 3
    assert occ[0]["start_time"] > occ[1]["start_time"]
    # the details call for the slash UUID went out double-encoded, and nothing could change the path
    assert "/v2/past_meetings/%252FzT4mEZsSq2f%252F%252FYw1qKjAlA%253D%253D" in sb.seen.targets


def test_one_occurrences_participants_summary_and_recordings(sb):
    sync, first_day = _add_occurrence(sb)
    newest = sb.execute(OCCURRENCE, {"meetingId": str(sync), "what": "participants"})
    assert newest["successful"], newest["error"]
    assert newest["data"]["uuid"] == SLASH_UUID
    assert [p["name"] for p in newest["data"]["result"]["participants"]] == ["Avery Chen", "Mei Tanaka"]
    older = sb.execute(OCCURRENCE, {"meetingId": sync, "what": "participants", "occurrence_date": first_day})
    assert [p["name"] for p in older["data"]["result"]["participants"]] == [
        "Avery Chen", "Jordan Patel", "Priya Natarajan"]
    summary = sb.execute(OCCURRENCE, {"meetingId": sync, "what": "summary", "occurrence_index": 1})
    assert summary["successful"] and "2.4 release" in summary["data"]["result"]["summary_overview"]
    missing = sb.execute(OCCURRENCE, {"meetingId": sync, "what": "summary"})   # the new sitting has none
    assert not missing["successful"] and "step 'summary' (ZOOM_GET_A_MEETING_SUMMARY)" in missing["error"]
    by_uuid = sb.execute(OCCURRENCE, {"meetingId": sb._sandbox.seed_ids["past_meeting_uuids"]["customer_onboarding"],
                                      "what": "recordings"})
    assert by_uuid["successful"] and by_uuid["data"]["result"]["recording_count"] >= 3
    none = sb.execute(OCCURRENCE, {"meetingId": sync, "what": "details", "occurrence_date": "1999-01-01"})
    assert not none["successful"] and "no occurrence that started on 1999-01-01" in none["error"]


# --- saving a recording file ----------------------------------------------------------------

def test_save_recording_file_into_upload_dir(sb, tmp_path):
    meeting = sb._sandbox.seed_ids["meetings"]["customer_onboarding"]
    env = sb.execute(SAVE, {"meetingId": meeting, "file_type": "TRANSCRIPT", "path": "acme/transcript.vtt"})
    assert env["successful"], env["error"]
    saved = tmp_path / "uploads" / "acme" / "transcript.vtt"
    served = _served_vtt(sb, meeting).encode()
    assert saved.read_bytes() == served and env["data"]["path"] == "acme/transcript.vtt"
    assert env["data"]["sha256"] == hashlib.sha256(served).hexdigest() and env["data"]["bytes"] == len(served)
    again = sb.execute(SAVE, {"meetingId": meeting, "file_type": "TRANSCRIPT", "path": "acme/transcript.vtt"})
    assert not again["successful"] and "already exists" in again["error"]
    assert sb.execute(SAVE, {"meetingId": meeting, "file_type": "TRANSCRIPT", "path": "acme/transcript.vtt",
                             "overwrite": True})["successful"]
    default = sb.execute(SAVE, {"meetingId": meeting})   # the MP4, under a name made from topic and date
    assert default["successful"] and default["data"]["path"].startswith("Customer-Onboarding-Acme-Corp-")
    assert default["data"]["path"].endswith(".mp4") and "/" not in default["data"]["path"]
    assert sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()) == sorted(
        ["transcript.vtt", default["data"]["path"]])


@pytest.mark.parametrize("path, why", [
    ("../x", "`..`"), ("a/../../x", "`..`"), ("ABSOLUTE", "not absolute"), ("./x", "`.`"),
    ("out/x", "stay inside"),   # out -> a directory outside, through a link
])
def test_save_refuses_paths_that_leave_upload_dir(sb, tmp_path, path, why):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "uploads" / "out").symlink_to(outside)
    path = str(tmp_path / "abs.vtt") if path == "ABSOLUTE" else path
    env = sb.execute(SAVE, {"meetingId": sb._sandbox.seed_ids["meetings"]["customer_onboarding"], "path": path})
    assert not env["successful"] and why in env["error"] and "Nothing was sent" in env["error"]
    assert sb.seen.targets == [] and list(outside.iterdir()) == []
    assert not (tmp_path / "x").exists() and not (tmp_path / "abs.vtt").exists()


def test_save_refuses_over_cap_and_without_upload_dir(sb, wf_catalog):
    meeting = sb._sandbox.seed_ids["meetings"]["customer_onboarding"]
    env = sb.execute(SAVE, {"meetingId": meeting, "file_type": "TRANSCRIPT", "max_bytes": 100})
    assert not env["successful"] and "over the 100-byte cap" in env["error"]
    assert not any(t.startswith("/rec/") for t in sb.seen.targets)   # nothing was downloaded
    # a file larger than Zoom said is cut off while it is read, and nothing is written
    store = sb._sandbox.store
    with store.transaction():
        rec = store.get("recording", sb._sandbox.seed_ids["past_meeting_uuids"]["customer_onboarding"])
        for f in rec["recording_files"]:
            f["file_size"] = 10
        store.put("recording", rec["uuid"], rec, parent=str(rec["id"]))
    env = sb.execute(SAVE, {"meetingId": meeting, "file_type": "TRANSCRIPT", "max_bytes": 100})
    assert not env["successful"] and "larger than the 100-byte cap" in env["error"]
    assert "step 'download'" in env["error"] and list(sb.upload_dir.iterdir()) == []
    with Toolkit(sandbox=True, catalog=wf_catalog) as bare:
        seen = Seen(bare)
        env = bare.execute(SAVE, {"meetingId": meeting})
        assert not env["successful"] and "no upload directory" in env["error"] and seen.targets == []


# --- downloads go only where the bearer belongs -----------------------------------------------

def _recordings_answer(download_url: str) -> dict:
    return {"uuid": "abc==", "id": 1, "topic": "t", "start_time": "2026-01-01T00:00:00Z",
            "recording_files": [{"id": "f1", "file_type": "TRANSCRIPT", "file_extension": "VTT", "file_size": 40,
                                 "status": "completed", "download_url": download_url}]}


def test_download_is_refused_off_zoom_and_follows_redirects_home(wf_catalog, server):
    from tests.runtime.recorder import Reply
    from tests.runtime.conftest import SECRET_TOKEN
    vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAda: hello\n"
    state = {"download": "https://files.example.org/rec/download/f1"}

    def answer(req):
        if req.path.startswith("/meetings/"):
            return Reply(body=_recordings_answer(state["download"]))
        if req.path == "/rec/download/f1":
            return Reply(status=302, headers={"Location": "/signed/f1?sig=1"}, raw=b"")
        if req.path == "/signed/f1":
            return Reply(headers={"Content-Type": "text/vtt"}, raw=vtt.encode())
        if req.path == "/away":
            return Reply(status=302, headers={"Location": "https://evil.example.net/x"}, raw=b"")
        return Reply(status=404)
    server.respond(answer)
    with Toolkit(access_token=SECRET_TOKEN, base_url=server.url, catalog=wf_catalog) as tk:
        env = tk.execute(TRANSCRIPT, {"meetingId": 1})
        assert not env["successful"] and "neither a Zoom host nor the toolkit's own base URL" in env["error"]
        assert [r.path for r in server.requests] == ["/meetings/1/recordings"]   # nothing went to the other host
        state["download"] = server.url + "/rec/download/f1"
        env = tk.execute(TRANSCRIPT, {"meetingId": 1})
        assert env["successful"], env["error"]
        assert env["data"]["cues"] == [{"start": "00:00:01.000", "end": "00:00:02.000", "speaker": "Ada",
                                        "text": "hello"}]
        got = {r.path: r.headers.get("authorization") for r in server.requests}
        assert got["/rec/download/f1"] == got["/signed/f1"] == f"Bearer {SECRET_TOKEN}"
        server.requests.clear()
        state["download"] = server.url + "/away"
        env = tk.execute(TRANSCRIPT, {"meetingId": 1})
        assert not env["successful"] and "redirected the download" in env["error"]
        assert SECRET_TOKEN not in str(env)


# --- the catalog: listed, searched, offered as tools; validated at build ------------------------

def test_workflows_are_listed_searched_and_offered_as_tools(wf_catalog):
    names = wf_catalog.names()
    for name in (TRANSCRIPT, OCCURRENCES, OCCURRENCE, SAVE):
        assert name in names and wf_catalog.is_workflow(name) and name not in wf_catalog.index["actions"]
        assert wf_catalog.entry(name)["kind"] == "workflow"
    assert set(wf_catalog.workflows()) == {TRANSCRIPT, OCCURRENCES, OCCURRENCE, SAVE}
    assert TRANSCRIPT in wf_catalog.filter(products="meetings", tags="Workflows", read_only=True)
    entry = wf_catalog.entry(TRANSCRIPT)   # scopes: the union of its steps'
    assert set(wf_catalog.entry("ZOOM_GET_MEETING_RECORDINGS")["scopes"]) <= set(entry["scopes"])
    assert set(wf_catalog.entry("ZOOM_LIST_ALL_RECORDINGS")["scopes"]) <= set(entry["scopes"])
    assert not wf_catalog.entry(SAVE)["annotations"]["read_only"]
    tk = Toolkit(access_token=TOKEN, catalog=wf_catalog)
    assert TRANSCRIPT in tk.search("transcript of yesterday's meeting", k=3)
    assert OCCURRENCE in tk.search("who attended last Tuesday's occurrence of the weekly sync", k=3)
    tools = tk.tools(format="openai", names=[TRANSCRIPT, SAVE])
    assert [t["function"]["name"] for t in tools] == [TRANSCRIPT, SAVE]
    assert "meetingId" in tools[0]["function"]["parameters"]["properties"]
    mcp = tk.tools(format="mcp", names=[OCCURRENCE])
    assert mcp[0]["name"] == OCCURRENCE and mcp[0]["annotations"]["readOnlyHint"] is True
    dry = tk.dry_run_envelope(TRANSCRIPT, {"meetingId": "1"})
    assert dry["successful"] and dry["data"]["workflow"] == TRANSCRIPT
    tk.close()


def test_cli_list_shows_workflows(wf_catalog, capsys, monkeypatch):
    from zoom_actions.cli import main
    monkeypatch.setenv("ZOOM_ACTIONS_DIR", str(wf_catalog.directory))
    assert main(["list", "--tag", "Workflows", "--workflows"]) == 0
    assert capsys.readouterr().out.split() == [TRANSCRIPT, OCCURRENCES, OCCURRENCE, SAVE]
    assert main(["list"]) == 0   # by default Zoom's operations only: one line per documented operation
    listed = capsys.readouterr().out.split()
    assert TRANSCRIPT not in listed and len(listed) == len(wf_catalog.operations())


def test_unknown_step_action_is_a_build_error(wf_catalog):
    actions = {n: wf_catalog.get(n) for n in ("ZOOM_GET_MEETING_RECORDINGS", "ZOOM_LIST_ALL_RECORDINGS",
                                              "ZOOM_DELETE_MEETING_RECORDINGS")}
    decl = next(d for d in load_declarations() if d["name"] == SAVE)
    typo = {**decl, "steps": [{"id": "recordings", "action": "ZOOM_GET_MEETING_RECORDING"},
                              {"id": "download", "download": "x"}]}
    with pytest.raises(WorkflowError, match="unknown step action ZOOM_GET_MEETING_RECORDING .*did you mean "
                                            "ZOOM_GET_MEETING_RECORDINGS"):
        compile_workflows([typo], actions)
    # a step whose product is not in this build leaves the workflow out, with a note
    docs, skipped = compile_workflows([typo], actions, pinned={"ZOOM_GET_MEETING_RECORDING"})
    assert docs == [] and "not in this build" in skipped[0]
    writer = {**decl, "annotations": {"read_only": True, "destructive": False, "idempotent": True},
              "steps": [{"id": "recordings", "action": "ZOOM_DELETE_MEETING_RECORDINGS"}]}
    with pytest.raises(WorkflowError, match="declared read_only"):
        compile_workflows([writer], actions)
    with pytest.raises(WorkflowError, match="already taken"):
        compile_workflows([{**decl, "name": "ZOOM_GET_MEETING_RECORDINGS"}], actions)


def test_every_declared_workflow_is_built(wf_catalog):
    docs, skipped = compile_workflows(load_declarations(), {n: wf_catalog.get(n) for n in wf_catalog.index["actions"]})
    assert skipped == [] and [d["name"] for d in docs] == wf_catalog.workflows()
    for d in docs:
        assert d == wf_catalog.get(d["name"])


# --- meeting ID or UUID --------------------------------------------------------------------------

def test_meeting_id_or_uuid_where_zoom_takes_both(wf_catalog):
    """Every past-meeting, recording, summary and report action takes an integer meeting ID or a UUID string,
    and a UUID that needs it is double-encoded on the wire."""
    import re
    from zoom_actions.request import build_path
    tk = Toolkit(access_token=TOKEN, catalog=wf_catalog)
    pattern = re.compile(r"^/(past_meetings|report/meetings|metrics/meetings)/\{meetingId\}|^/meetings/\{meetingId\}/"
                         r"(recordings|meeting_summary)")
    checked = 0
    for name in wf_catalog.index["actions"]:
        entry = wf_catalog.entry(name)
        if not pattern.search(entry["path"]) or entry["path"].endswith("/instances"):
            continue
        plan = tk.plan(name)
        assert plan.action["input_schema"]["properties"]["meetingId"]["type"] == "string", name
        assert plan.inputs.normalize({"meetingId": 85746065}) if not entry["required"][1:] else True
        path = build_path(plan.template, {p: "/ab//c==" if p == "meetingId" else "x" for p in plan.template[1::2]})
        assert "/%252Fab%252F%252Fc%253D%253D" in path, name
        checked += 1
    assert checked >= 10
    tk.close()


def test_3001_advice_names_a_uuid_only_where_one_is_accepted(wf_catalog):
    from zoom_actions.errors import http_failure
    body = {"code": 3001, "message": "Meeting does not exist: 1."}
    for_int = http_failure(wf_catalog.get("ZOOM_GET_A_MEETING"), 404, body)["error"]
    assert "pass its meeting UUID" not in for_int and OCCURRENCES in for_int
    for_uuid = http_failure(wf_catalog.get("ZOOM_GET_PAST_MEETING_PARTICIPANTS"), 404, body)["error"]
    assert "pass its meeting UUID" in for_uuid


# --- WebVTT ----------------------------------------------------------------------------------------

def test_webvtt_parser_reads_what_zoom_and_others_write():
    from zoom_actions.webvtt import parse, plain_text
    vtt = ("\ufeffWEBVTT - Zoom\r\nKind: captions\r\n\r\nNOTE a comment\r\nspanning lines\r\n\r\n"
           "STYLE\r\n::cue { color: red }\r\n\r\n"
           "1\r\n00:00:00.500 --> 00:00:03.250 align:start\r\nAda Lovelace: Hello &amp; welcome,\r\neveryone.\r\n\r\n"
           "00:04.000 --> 00:05.000\r\n<v Charles Babbage>The <b>engine</b> works</v>\r\n\r\n"
           "3\r\n01:02:03,004 --> 01:02:04,000\r\nsee https://x.example/a\r\n\r\n"
           "4\r\nnot a timing line\r\nignored\r\n\r\n"
           "5\r\n00:00:09.000 --> 00:00:10.000\r\nQ3 plans. Note: later\r\n")
    cues = parse(vtt)
    assert cues == [
        {"start": "00:00:00.500", "end": "00:00:03.250", "speaker": "Ada Lovelace", "text": "Hello & welcome, everyone."},
        {"start": "00:00:04.000", "end": "00:00:05.000", "speaker": "Charles Babbage", "text": "The engine works"},
        {"start": "01:02:03.004", "end": "01:02:04.000", "speaker": None,
         "text": "see https://x.example/a"},
        {"start": "00:00:09.000", "end": "00:00:10.000", "speaker": None, "text": "Q3 plans. Note: later"},
    ]
    assert plain_text(cues).splitlines()[:2] == ["Ada Lovelace: Hello & welcome, everyone.",
                                                 "Charles Babbage: The engine works"]
    assert parse("") == [] and parse("WEBVTT\n\n") == [] and parse("garbage\n\n-->\n") == []


# --- hostile input ---------------------------------------------------------------------------------

def test_fuzzed_workflow_inputs_always_answer_an_envelope(sb):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    value = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
        ["", "/", "//", "../x", "/etc/passwd", "x" * 300, "\x00", "me", "2026-13-45", "TRANSCRIPT", "participants"])
    for name in (TRANSCRIPT, OCCURRENCES, OCCURRENCE, SAVE):
        props = list(sb.catalog.get(name)["input_schema"]["properties"])

        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(st.dictionaries(st.sampled_from(props + ["bogus"]), value, max_size=4))
        def run(params):
            env = sb.execute(name, params)
            assert set(env) == {"data", "successful", "error"}
            assert env["successful"] is True or (isinstance(env["error"], str) and len(env["error"]) > 15)
            assert not list(sb.upload_dir.parent.glob("etc*")) and not (sb.upload_dir.parent / "x").exists()
        run()
