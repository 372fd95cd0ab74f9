"""The 11 polling triggers, as data: what each watches, how it is
configured, which catalog actions a poll executes, what identifies an item,
which fields are skipped when comparing, and the payload each emits.

Slugs, configuration fields and payload fields are those of Composio's Zoom
toolkit, so code written against it finds the same names here; the
descriptions are ours. ``interval`` (minutes) is every trigger's schedule
and is not part of what a subscription watches.

A trigger's ``kind`` names how a poll is compared with the last one
(:mod:`.detect`): ``new`` (items of a list not seen before), ``object`` (one
object's fields), ``recording`` (a recording and its files) or ``report``
(the daily usage statistics by date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

TYPES = ("string", "integer", "number", "boolean")


@dataclass(frozen=True)
class Field:
    """One configuration field of a trigger."""

    name: str
    type: str                          # one of TYPES
    description: str
    required: bool = False
    default: Any = None
    enum: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False    # minimum itself is not allowed

    def describe(self) -> str:
        """``name:type`` with ``*`` when required and ``=default`` when it has one."""
        text = f"{self.name}:{self.type}" + ("*" if self.required else "")
        if self.default is None:
            return text
        return text + "=" + (str(self.default).lower() if isinstance(self.default, bool) else str(self.default))


@dataclass(frozen=True)
class Trigger:
    slug: str
    title: str
    description: str
    fields: tuple[Field, ...]
    polls: tuple[str, ...]                        # catalog actions a poll executes, the first one always
    params: Callable[[dict, datetime], dict]      # (config with defaults, now in UTC) -> the first action's params
    kind: str                                     # new | object | recording | report
    payload: tuple[str, ...]                      # the payload's fields, as Composio names them
    event_type: str = ""                          # the payload's event_type (the usual one, for the kinds with several)
    object_key: str | None = None                 # where the watched object goes in the payload; None: its fields flat
    list_field: str | None = None                 # kind new: the answer's list
    identity: tuple[str, ...] = ()                # kind new: an item's identity; object: an instance's
    volatile: tuple[str, ...] = ()                # dotted paths ("*" for every list item) never compared
    absent_codes: tuple[int, ...] = ()            # Zoom codes meaning "nothing there yet": a state, not a failure
    detail: Callable[[dict], tuple[str, dict]] | None = None   # kind new: the action fetching a new item in full
    paginate: bool = False
    created_event: str = ""                       # object: the event_type when the object (or a new instance) appears
    settings_event: str = ""                      # object: the event_type when only settings changed

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


INTERVAL = Field("interval", "number", "Minutes between polls (fractions allowed).", default=1, minimum=0,
                 exclusive_minimum=True)


def _page_size(what: str) -> Field:
    return Field("page_size", "integer", f"How many {what} to ask for per page (1-300); every page is read.",
                 default=30, minimum=1, maximum=300)


def _user(what: str) -> Field:
    return Field("user_id", "string", f"Whose {what}: a user ID, an email address, or 'me' (the token's user).",
                 default="me")


def _some(**values: Any) -> dict:
    """The params that are set (a config field left out is not sent)."""
    return {k: v for k, v in values.items() if v is not None}


def _day(now: datetime, days: int = 0) -> str:
    return (now + timedelta(days=days)).date().isoformat()


def _recording_params(c: dict, now: datetime) -> dict:
    token = bool(c.get("include_download_token"))
    return _some(meetingId=c["meeting_id"], include_fields="download_access_token" if token else None,
                 ttl=c.get("token_ttl") if token else None)


# Fields that change on their own: start URLs carry a short-lived token, download URLs and download
# tokens are minted per answer, a meeting's uuid and status move with each sitting (a new instance, not
# new details); and, per Composio, a user's login time, client version, picture, chat id and creation time.
MEETING_VOLATILE = ("start_url", "uuid", "status")
WEBINAR_VOLATILE = ("start_url", "join_url", "uuid")
USER_VOLATILE = ("last_login_time", "pic_url", "created_at", "last_client_version", "jid")
RECORDING_VOLATILE = ("download_access_token", "recording_files.*.download_url", "recording_files.*.play_url",
                      "participant_audio_files.*.download_url", "participant_audio_files.*.play_url")
SUMMARY_VOLATILE = ("summary_last_modified_time",)   # touched by a regeneration that changes nothing else

MEETING_PARTICIPANT_FIELDS = ("customer_key", "duration", "failover", "id", "join_time", "leave_time", "name",
                              "registrant_id", "status", "user_email", "user_id")
WEBINAR_PARTICIPANT_FIELDS = ("attentiveness_score", "bo_mtg_id", "duration", "id", "join_time", "leave_time",
                              "name", "registrant_id", "user_email", "user_id")
WEBINAR_FIELDS = ("agenda", "created_at", "duration", "host_id", "id", "join_url", "occurrences", "settings",
                  "start_time", "start_url", "timezone", "topic", "type", "uuid")
# a participant record: the person and when they joined (one person who rejoins has two records)
PARTICIPANT_IDENTITY = ("id", "user_id", "name", "user_email", "join_time")

_ALL = [
    Trigger(
        "ZOOM_DAILY_USAGE_REPORT_CHANGED_TRIGGER", "Daily usage report changed",
        "Fires when the account's daily usage statistics for a month change: new users, meetings held, "
        "participants or meeting minutes on any date. Needs a Pro plan and the daily usage report scope.",
        (Field("group_id", "string", "Only count members of this group (a group ID from the groups list)."),
         INTERVAL,
         Field("month", "integer", "Month of the report, 1-12 (default: the current month).", minimum=1, maximum=12),
         Field("year", "integer", "Year of the report (default: the current year).", minimum=1970)),
        ("ZOOM_GET_DAILY_USAGE_REPORT",),
        lambda c, now: _some(year=c.get("year") or now.year, month=c.get("month") or now.month,
                             group_id=c.get("group_id")),
        "report", ("changed_dates", "event_type", "report"), event_type="report_updated", object_key="report"),
    Trigger(
        "ZOOM_MEETING_DETAILS_CHANGED_TRIGGER", "Meeting details changed",
        "Fires when one meeting's details change: topic, agenda, schedule (start, duration, timezone), "
        "passcode, recurrence or any setting. Occurrences are read with the past ones included, so an "
        "occurrence going by is not a change.",
        (INTERVAL, Field("meeting_id", "integer", "The numeric ID of the meeting to watch.", required=True)),
        ("ZOOM_GET_A_MEETING",),
        lambda c, now: {"meetingId": c["meeting_id"], "show_previous_occurrences": True},
        "object", ("changed_fields", "event_type", "meeting_details"), event_type="meeting_updated",
        object_key="meeting_details", volatile=MEETING_VOLATILE, settings_event="settings_changed"),
    Trigger(
        "ZOOM_MEETING_RECORDING_CHANGED_TRIGGER", "Meeting recording changed",
        "Fires when a meeting's cloud recording appears or changes: new files (participant audio included), "
        "a file's processing finishing, files removed, or the recording's count and size changing.",
        (Field("include_download_token", "boolean", "Also fetch a download access token (in the payload only; "
                                                    "never compared).", default=False),
         INTERVAL,
         Field("meeting_id", "string", "A meeting ID (its latest instance) or an instance's UUID.", required=True),
         Field("token_ttl", "integer", "Seconds the download token stays valid (with include_download_token).",
               minimum=0, maximum=604800)),
        ("ZOOM_GET_MEETING_RECORDINGS",), _recording_params,
        "recording", ("changes_detected", "event_type", "meeting_recording"), event_type="recording_updated",
        object_key="meeting_recording", identity=("uuid",), volatile=RECORDING_VOLATILE, absent_codes=(3301,)),
    Trigger(
        "ZOOM_MEETING_SUMMARY_UPDATED_TRIGGER", "Meeting summary created or updated",
        "Fires when an AI Companion summary is made for a meeting, or an existing one is edited. The host "
        "needs a paid plan with AI Companion summaries on; end-to-end encrypted meetings get none.",
        (INTERVAL,
         Field("meeting_id", "string", "A meeting ID (its latest instance) or an instance's UUID.", required=True)),
        ("ZOOM_GET_A_MEETING_SUMMARY",),
        lambda c, now: {"meetingId": c["meeting_id"]},
        "object", ("changed_fields", "event_type", "summary"), event_type="updated", object_key="summary",
        identity=("meeting_uuid",), volatile=SUMMARY_VOLATILE, absent_codes=(3001,), created_event="created"),
    Trigger(
        "ZOOM_NEW_CLOUD_RECORDING_TRIGGER", "New cloud recording",
        "Fires once for each meeting instance (by UUID) that gets a cloud recording, looking at recordings "
        "that started yesterday or today (UTC).",
        (INTERVAL, _page_size("recordings"), _user("recordings")),
        ("ZOOM_LIST_ALL_RECORDINGS",),
        lambda c, now: {"userId": c["user_id"], "page_size": c["page_size"], "from": _day(now, -1), "to": _day(now)},
        "new", ("event_type", "meeting"), event_type="recording_completed", object_key="meeting",
        list_field="meetings", identity=("uuid",), paginate=True),
    Trigger(
        "ZOOM_NEW_MEETING_CREATED_TRIGGER", "New meeting created",
        "Fires once for each meeting that appears in a user's meeting list.",
        (INTERVAL,
         Field("meeting_type", "string", "Which of the user's meetings to list.", default="scheduled",
               enum=("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings")),
         _page_size("meetings"), _user("meetings")),
        ("ZOOM_LIST_MEETINGS",),
        lambda c, now: {"userId": c["user_id"], "type": c["meeting_type"], "page_size": c["page_size"]},
        "new", ("event_type", "meeting"), event_type="meeting_created", object_key="meeting",
        list_field="meetings", identity=("id",), paginate=True),
    Trigger(
        "ZOOM_NEW_MEETING_PARTICIPANT_TRIGGER", "New meeting participant",
        "Fires once for each participant record in a past meeting's participant report (a meeting ID means "
        "its latest ended instance). Until the meeting has ended there is nothing to report, which is not "
        "a failure.",
        (INTERVAL,
         Field("meeting_id", "string", "A meeting ID (its latest ended instance) or an instance's UUID.",
               required=True),
         _page_size("participants")),
        ("ZOOM_GET_PAST_MEETING_PARTICIPANTS",),
        lambda c, now: {"meetingId": c["meeting_id"], "page_size": c["page_size"]},
        "new", MEETING_PARTICIPANT_FIELDS, list_field="participants", identity=PARTICIPANT_IDENTITY,
        absent_codes=(3001,), paginate=True),
    Trigger(
        "ZOOM_NEW_WEBINAR_CREATED_TRIGGER", "New webinar created",
        "Fires once for each webinar that appears in a user's webinar list, with the webinar read in full "
        "(settings, occurrences). The user needs a webinar plan.",
        (INTERVAL, _page_size("webinars"), _user("webinars")),
        ("ZOOM_LIST_WEBINARS", "ZOOM_GET_A_WEBINAR"),
        lambda c, now: {"userId": c["user_id"], "page_size": c["page_size"]},
        "new", WEBINAR_FIELDS, list_field="webinars", identity=("id",), paginate=True,
        detail=lambda item: ("ZOOM_GET_A_WEBINAR", {"webinarId": str(item["id"])})),
    Trigger(
        "ZOOM_NEW_WEBINAR_PARTICIPANT_TRIGGER", "New webinar participant",
        "Fires once for each participant record in a past webinar's participant list (a webinar ID means "
        "its latest ended instance). Until the webinar has ended there is nothing to report.",
        (INTERVAL, _page_size("participants"),
         Field("webinar_id", "string", "A webinar ID (its latest ended instance) or an instance's UUID.",
               required=True)),
        ("ZOOM_LIST_WEBINAR_PARTICIPANTS",),
        lambda c, now: {"webinarId": c["webinar_id"], "page_size": c["page_size"]},
        "new", WEBINAR_PARTICIPANT_FIELDS, list_field="participants", identity=PARTICIPANT_IDENTITY,
        absent_codes=(3001,), paginate=True),
    Trigger(
        "ZOOM_USER_INFORMATION_CHANGED_TRIGGER", "User information changed",
        "Fires when a user's profile changes: names and email, type or role, department, job title, "
        "location, phone, timezone, language, pronouns, status. Login times, client version, picture and "
        "chat id are not compared.",
        (INTERVAL,
         Field("login_type", "integer", "Read the user of this login method (Zoom's login type number, e.g. 100 "
                                        "for a Zoom work email).",
               enum=(0, 1, 11, 21, 23, 24, 27, 97, 98, 99, 100, 101)),
         Field("user_id", "string", "The user to watch: a user ID, an email address, or 'me'.", required=True)),
        ("ZOOM_GET_A_USER",),
        lambda c, now: _some(userId=c["user_id"], login_type=c.get("login_type")),
        "object", ("changes_detected", "event_type", "user"), event_type="user_updated", object_key="user",
        volatile=USER_VOLATILE),
    Trigger(
        "ZOOM_WEBINAR_DETAILS_CHANGED_TRIGGER", "Webinar details changed",
        "Fires when one webinar's details change: topic, agenda, start time, duration, timezone, settings, "
        "status, recurrence or occurrences. Its start and join URLs are not compared.",
        (INTERVAL,
         Field("occurrence_id", "string", "Watch this occurrence of a recurring webinar."),
         Field("show_previous_occurrences", "boolean", "Include past occurrences of a recurring webinar."),
         Field("webinar_id", "string", "The webinar ID or an instance's UUID.", required=True)),
        ("ZOOM_GET_A_WEBINAR",),
        lambda c, now: _some(webinarId=c["webinar_id"], occurrence_id=c.get("occurrence_id"),
                             show_previous_occurrences=c.get("show_previous_occurrences")),
        "object", ("changes_detected", "event_type", "webinar"), event_type="webinar_updated", object_key="webinar",
        volatile=WEBINAR_VOLATILE),
]

TRIGGERS: dict[str, Trigger] = {t.slug: t for t in _ALL}
