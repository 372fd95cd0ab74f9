"""Reports derived from the sandbox's own state, so they change when it does.

The daily usage report counts, for each date of the month (up to today for
the current month, none for a month to come): users created that day,
meetings that ended (past instances by their start date), their
participants and their minutes. ``group_id`` keeps users who belong to the
group and meetings they hosted.
"""

from __future__ import annotations

import calendar
from datetime import date

from .context import Req, handles
from .errors import validation_failed
from .history import PAST


def _member(user: dict, group_id: str) -> bool:
    return group_id in (user.get("group_ids") or ()) or user.get("group_id") == group_id


@handles("ZOOM_GET_DAILY_USAGE_REPORT")
def daily_usage(req: Req):
    year = int(req.query.get("year") or req.now.year)
    month = int(req.query.get("month") or req.now.month)
    if not 1 <= month <= 12:
        raise validation_failed([{"field": "month", "message": "The month must be between 1 and 12."}])
    today = req.now.date()
    first = date(year, month, 1)
    last = min(date(year, month, calendar.monthrange(year, month)[1]), today)
    days = {date(year, month, d).isoformat(): {"new_users": 0, "meetings": 0, "participants": 0,
                                               "meeting_minutes": 0}
            for d in range(1, last.day + 1)} if first <= today else {}
    group = req.query.get("group_id")
    users = [u for u in req.store.list("user") if group is None or _member(u, str(group))]
    for u in users:
        day = str(u.get("created_at") or "")[:10]
        if day in days:
            days[day]["new_users"] += 1
    hosts = {u["id"] for u in users}
    for past in req.store.list(PAST["meeting"]):
        day = str(past.get("start_time") or "")[:10]
        if day in days and (group is None or past.get("host_id") in hosts):
            row = days[day]
            row["meetings"] += 1
            row["participants"] += int(past.get("participants_count") or 0)
            row["meeting_minutes"] += int(past.get("duration") or 0)
    return {"year": year, "month": month, "dates": [{"date": d, **row} for d, row in days.items()]}
