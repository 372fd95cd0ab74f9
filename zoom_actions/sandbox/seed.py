"""Sample data a fresh sandbox starts with: an account owner (``me``), a few
account users, upcoming, live, recurring and ended meetings, registrants,
webinars, past instances with participants, cloud recordings with a
transcript, and AI Companion summaries.

Identifiers come from a fixed seed, so every fresh sandbox has the same ids
(``SEED_IDS`` after seeding, also stored under ``meta/seed``); times are
relative to the moment of seeding. One ended meeting's UUID starts with
``/``, so clients meet Zoom's double-encoding rule in the sandbox too.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from . import ids
from .history import add_recording, add_summary, record_instance
from .meetings import MEETING, WEBINAR, Kind, MEETING_DEFAULT_SETTINGS, WEBINAR_DEFAULT_SETTINGS, \
    deep_merge, occurrences, save
from .registrants import add_registrant
from .store import Store
from .users import new_user

SEED_VERSION = 1

_PEOPLE = [
    # first, last, email, type, role, status, dept, title, timezone
    ("Avery", "Chen", "avery.chen@example.com", 2, "Owner", "active", "Engineering", "Engineering Manager",
     "America/Los_Angeles"),
    ("Jordan", "Patel", "jordan.patel@example.com", 2, "Admin", "active", "Product", "Product Lead",
     "America/New_York"),
    ("Sam", "Rivera", "sam.rivera@example.com", 2, "Member", "active", "Customer Success", "Onboarding Specialist",
     "America/Chicago"),
    ("Priya", "Natarajan", "priya.natarajan@example.com", 1, "Member", "active", "Design", "Product Designer",
     "Europe/London"),
    ("Diego", "Alvarez", "diego.alvarez@example.com", 1, "Member", "pending", "Sales", "Account Executive",
     "America/Denver"),
    ("Mei", "Tanaka", "mei.tanaka@example.com", 2, "Member", "inactive", "Finance", "Controller", "Asia/Tokyo"),
]

_ONBOARDING_TRANSCRIPT = [
    ("Sam Rivera", "Thanks for joining, everyone. Today we will get Acme's workspace set up end to end."),
    ("Lena Park", "Great. Our main goal is to have the sales team scheduling meetings from our CRM by Friday."),
    ("Sam Rivera", "That works. The integration needs an app with the meeting write scope; Avery can help."),
    ("Avery Chen", "I will send the app configuration guide after this call, including the redirect URL."),
    ("Lena Park", "Can we also get cloud recordings with transcripts for the customer calls?"),
    ("Avery Chen", "Yes. Cloud recording and audio transcripts are both on for your account now."),
    ("Tom Becker", "One question on security: can we restrict joining to our own domain?"),
    ("Sam Rivera", "You can require authentication and set the domain to acme.example. I will share the steps."),
    ("Lena Park", "Perfect. Let's meet again next Tuesday to review progress."),
    ("Sam Rivera", "Sounds good. I will send the invite and a summary of today's action items."),
]

_ONBOARDING_CHAT = [
    ("Lena Park", "Here is our CRM sandbox URL: https://crm.acme.example/sandbox"),
    ("Avery Chen", "Thanks! Guide coming right after the call."),
]

_SYNC_TRANSCRIPT = [
    ("Avery Chen", "Morning all. Quick round of updates, then the release checklist."),
    ("Jordan Patel", "Roadmap review is on track for tomorrow; I still need the API usage numbers."),
    ("Priya Natarajan", "New scheduling screens are in review. Two open comments on the empty states."),
    ("Avery Chen", "Release 2.4 is feature complete. We are waiting on one fix for webinar registrants."),
    ("Jordan Patel", "Can we ship on Thursday if the fix lands today?"),
    ("Avery Chen", "Yes, if QA signs off by Wednesday afternoon. I will confirm in the channel."),
]


def _at(base: datetime, days: int = 0, hour: int = 17, minute: int = 0) -> datetime:
    return (base + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def _meeting(store: Store, kind: Kind, rng: random.Random, host: dict, now: datetime, *, topic: str,
             type_: int, start: datetime | None, duration: int, agenda: str = "", settings: dict | None = None,
             recurrence: dict | None = None, created_days_ago: int = 14, status: str = "waiting",
             number: int | None = None) -> dict:
    number = number or ids.meeting_number(rng)
    pwd = ids.passcode(rng)
    doc = {
        "uuid": ids.meeting_uuid(rng), "id": number, "host_id": host["id"], "host_email": host["email"],
        "topic": topic, "type": type_, "status": status, "duration": duration,
        "timezone": host["timezone"], "agenda": agenda,
        "created_at": ids.iso(now - timedelta(days=created_days_ago)), "pre_schedule": False,
        "creation_source": "web_portal",
        "settings": deep_merge(MEETING_DEFAULT_SETTINGS if kind is MEETING else WEBINAR_DEFAULT_SETTINGS,
                               settings or {}),
        "start_url": ids.start_url(number, rng), "password": pwd,
        "encrypted_password": ids.token(rng, 32) + ".1", "h323_password": ids.digits(rng, 6),
        "join_url": ids.join_url(number, pwd, rng),
    }
    doc["pstn_password"] = doc["h323_passcode"] = doc["h323_password"]
    doc["encrypted_passcode"] = doc["encrypted_password"]
    if start is not None:
        doc["start_time"] = ids.iso(start)
    if recurrence:
        doc["recurrence"] = recurrence
        doc["occurrences"] = occurrences(start, recurrence, duration, host["timezone"], kind.cap)
        doc["start_time"] = doc["occurrences"][0]["start_time"]
    if doc["settings"].get("approval_type") in (0, 1):
        doc["registration_url"] = ids.registration_url(number, rng)
    save(store, kind, doc)
    return doc


def seed(store: Store, now: datetime | None = None) -> dict:
    """Fill an empty store once (a store already seeded is left as it is).
    Answers the seed's ids."""
    with store.transaction():
        done = store.get("meta", "seed")
        if done:
            return done
        now = now or ids.now()
        rng = random.Random("zoom-actions-sandbox-seed-1")
        users = []
        for i, (first, last, email, t, role, status, dept, title, tz) in enumerate(_PEOPLE):
            u = new_user(rng, first=first, last=last, email=email, type_=t, role=role, status=status, dept=dept,
                         job_title=title, tz=tz, created=ids.iso(now - timedelta(days=400 - i * 30)))
            store.put("user", u["id"], u)
            users.append(u)
        me, jordan, sam, priya = users[0], users[1], users[2], users[3]
        store.put("meta", "me", {"id": me["id"]})

        # the weekly sync: recurring with a fixed time, Tuesdays, with last week's sitting on record
        days_to_tue = (1 - now.weekday()) % 7 or 7
        sync = _meeting(store, MEETING, rng, me, now, topic="Weekly Engineering Sync", type_=8,
                        start=_at(now, days_to_tue, 17), duration=45, agenda="Team updates and release checklist",
                        recurrence={"type": 2, "repeat_interval": 1, "weekly_days": "3", "end_times": 10},
                        created_days_ago=60)
        roadmap = _meeting(store, MEETING, rng, me, now, topic="Product Roadmap Review", type_=2,
                           start=_at(now, 1, 18), duration=60, agenda="H2 roadmap: priorities and staffing",
                           settings={"approval_type": 1, "registration_type": 1, "waiting_room": True},
                           created_days_ago=10)
        one_on_one = _meeting(store, MEETING, rng, me, now, topic="1:1 Avery / Jordan", type_=2,
                              start=_at(now, 3, 16, 30), duration=30, created_days_ago=20)
        # ended today (so the default recordings list, today's, shows it) unless it is just past midnight
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        onboarding_start = max(now - timedelta(hours=2), midnight + timedelta(minutes=1))
        onboarding_end = min(onboarding_start + timedelta(minutes=52), now - timedelta(minutes=1))
        if onboarding_end - onboarding_start < timedelta(minutes=1):
            onboarding_start, onboarding_end = now - timedelta(hours=2), now - timedelta(hours=1)
        onboarding = _meeting(store, MEETING, rng, me, now, topic="Customer Onboarding: Acme Corp", type_=2,
                              start=onboarding_start,
                              duration=max(1, int((onboarding_end - onboarding_start).total_seconds() // 60)),
                              agenda="Workspace setup and integration plan",
                              settings={"auto_recording": "cloud", "auto_start_meeting_summary": True},
                              created_days_ago=7)
        live = _meeting(store, MEETING, rng, me, now, topic="Incident Bridge", type_=1,
                        start=now - timedelta(minutes=12), duration=60, created_days_ago=0, status="started")
        live["_started_at"] = ids.iso(now - timedelta(minutes=12))
        save(store, MEETING, live)
        office_hours = _meeting(store, MEETING, rng, me, now, topic="Design Office Hours", type_=3, start=None,
                                duration=30, agenda="Drop in with design questions", created_days_ago=90)
        jordan_sync = _meeting(store, MEETING, rng, jordan, now, topic="Product Sync", type_=2,
                               start=_at(now, 2, 15), duration=30, created_days_ago=5)

        roadmap_regs = []
        for first, last, email, status in (("Lena", "Park", "lena.park@acme.example", "approved"),
                                           ("Tom", "Becker", "tom.becker@acme.example", "approved"),
                                           ("Ines", "Moreau", "ines.moreau@example.org", "pending")):
            person = {"first_name": first, "last_name": last, "email": email,
                      "org": "Acme Corp" if "acme" in email else "", "job_title": "Operations Lead"}
            roadmap_regs.append(add_registrant(store, MEETING, roadmap, person, rng,
                                               ids.iso(now - timedelta(days=2)), status=status))

        # ended sittings, their people, recordings, transcripts and summaries
        acme_people = [
            {"name": "Avery Chen", "email": me["email"]},
            {"name": "Sam Rivera", "email": sam["email"], "join_offset_s": 20},
            {"name": "Lena Park", "email": "lena.park@acme.example", "join_offset_s": 30},
            {"name": "Tom Becker", "email": "tom.becker@acme.example", "join_offset_s": 240, "stay_s": 1800},
        ]
        acme_uuid = "/" + ids.meeting_uuid(rng)[1:]  # starts with "/": clients must double-encode it
        acme_past = record_instance(store, MEETING, onboarding, onboarding_start, onboarding_end, acme_people, rng,
                                    uuid=acme_uuid)
        add_recording(store, acme_past, rng, _ONBOARDING_TRANSCRIPT, _ONBOARDING_CHAT)
        add_summary(store, acme_past, me,
                    "Sam Rivera and Avery Chen onboarded Acme Corp: CRM scheduling integration by Friday, cloud "
                    "recordings with transcripts, and join restrictions to Acme's domain.",
                    [("Integration plan", "Acme's sales team will schedule meetings from their CRM through an app "
                                          "with the meeting write scope; Avery sends the configuration guide."),
                     ("Recordings", "Cloud recording and audio transcripts are enabled for the account."),
                     ("Security", "Joining can be restricted to authenticated users of acme.example.")],
                    ["Avery Chen: send the app configuration guide with the redirect URL.",
                     "Sam Rivera: share the steps for domain-restricted authentication.",
                     "Sam Rivera: schedule the follow-up for next Tuesday."],
                    onboarding_end + timedelta(minutes=3))
        onboarding["_instances"] = 1
        save(store, MEETING, onboarding)

        last_week = ids.parse_time(sync["start_time"]) - timedelta(days=7)
        sync_people = [{"name": "Avery Chen", "email": me["email"]},
                       {"name": "Jordan Patel", "email": jordan["email"], "join_offset_s": 45},
                       {"name": "Priya Natarajan", "email": priya["email"], "join_offset_s": 120}]
        sync_past = record_instance(store, MEETING, sync, last_week, last_week + timedelta(minutes=38), sync_people,
                                    rng, uuid=ids.meeting_uuid(rng))
        add_recording(store, sync_past, rng, _SYNC_TRANSCRIPT)
        add_summary(store, sync_past, me,
                    "The team reviewed roadmap readiness and the 2.4 release, which can ship Thursday if QA signs "
                    "off by Wednesday.",
                    [("Roadmap", "The roadmap review is on track; API usage numbers are still needed."),
                     ("Release 2.4", "Feature complete, pending one webinar registrant fix.")],
                    ["Jordan Patel: collect API usage numbers.", "Avery Chen: confirm the release date in the channel."],
                    last_week + timedelta(minutes=41))
        sync["_instances"] = 1
        save(store, MEETING, sync)

        # webinars
        quarterly = _meeting(store, WEBINAR, rng, me, now, topic="Quarterly Product Update", type_=5,
                             start=_at(now, 7, 17), duration=60, agenda="What shipped this quarter and what is next",
                             settings={"approval_type": 0, "registration_type": 1}, created_days_ago=21)
        quarterly_regs = [
            add_registrant(store, WEBINAR, quarterly, {"first_name": first, "last_name": last, "email": email},
                           rng, ids.iso(now - timedelta(days=3)))
            for first, last, email in (("Noah", "Kim", "noah.kim@example.net"),
                                       ("Olivia", "Brown", "olivia.brown@example.com"))]
        launch_start = _at(now, -5, 16)
        launch = _meeting(store, WEBINAR, rng, me, now, topic="Zoom Actions Launch Webinar", type_=5,
                          start=launch_start, duration=45, settings={"approval_type": 0}, created_days_ago=30)
        launch_people = [{"name": "Avery Chen", "email": me["email"]},
                         {"name": "Noah Kim", "email": "noah.kim@example.net", "join_offset_s": 90},
                         {"name": "Olivia Brown", "email": "olivia.brown@example.com", "join_offset_s": 150},
                         {"name": "Lena Park", "email": "lena.park@acme.example", "join_offset_s": 300}]
        launch_past = record_instance(store, WEBINAR, launch, launch_start, launch_start + timedelta(minutes=47),
                                      launch_people, rng, uuid=ids.meeting_uuid(rng))
        launch["_instances"] = 1
        save(store, WEBINAR, launch)

        seed_ids = {
            "version": SEED_VERSION,
            "seeded_at": ids.iso(now),
            "me": me["id"], "me_email": me["email"],
            "users": [u["id"] for u in users],
            "meetings": {"weekly_sync": sync["id"], "roadmap_review": roadmap["id"], "one_on_one": one_on_one["id"],
                         "customer_onboarding": onboarding["id"], "incident_bridge": live["id"],
                         "office_hours": office_hours["id"], "jordan_sync": jordan_sync["id"]},
            "registration_meeting": roadmap["id"],
            "meeting_registrants": [r["id"] for r in roadmap_regs],
            "registration_webinar": quarterly["id"],
            "webinar_registrants": [r["id"] for r in quarterly_regs],
            "past_meeting_uuids": {"customer_onboarding": acme_past["uuid"], "weekly_sync": sync_past["uuid"]},
            "webinars": {"quarterly_update": quarterly["id"], "launch": launch["id"]},
            "past_webinar_uuids": {"launch": launch_past["uuid"]},
        }
        store.put("meta", "seed", seed_ids)
        return seed_ids
