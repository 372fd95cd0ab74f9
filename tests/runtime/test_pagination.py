"""Following next_page_token (and page_number) and merging the list."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from .recorder import Reply


def _paged(total_pages, per_page=2, key="meetings"):
    def respond(seen):
        q = parse_qs(seen.query)
        page = int(q.get("next_page_token", ["p1"])[0][1:])
        nxt = f"p{page + 1}" if page < total_pages else ""
        return Reply(200, {"page_size": per_page, "total_records": total_pages * per_page, "next_page_token": nxt,
                           key: [{"id": page * 100 + i} for i in range(per_page)]})
    return respond


def test_paginate_merges_all_pages(tk, server):
    server.respond(_paged(3))
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 2}, paginate=True)
    assert env["successful"], env
    assert [m["id"] for m in env["data"]["meetings"]] == [100, 101, 200, 201, 300, 301]
    assert env["data"]["next_page_token"] == ""
    assert [r.target for r in server.api_requests()] == [
        "/users/me/meetings?page_size=2",
        "/users/me/meetings?page_size=2&next_page_token=p2",
        "/users/me/meetings?page_size=2&next_page_token=p3"]


def test_max_pages(tk, server):
    server.respond(_paged(5, key="participants"))
    env = tk.execute("ZOOM_GET_PAST_MEETING_PARTICIPANTS", {"meetingId": "1"}, paginate=True, max_pages=2)
    assert [m["id"] for m in env["data"]["participants"]] == [100, 101, 200, 201]
    assert env["data"]["next_page_token"] == "p3"   # where to resume
    assert len(server.api_requests()) == 2


def test_without_paginate_one_page(tk, server):
    server.respond(_paged(3))
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"})
    assert env["data"]["next_page_token"] == "p2" and len(server.api_requests()) == 1


def test_a_failing_page_returns_what_was_read(tk, server):
    inner = _paged(3)
    server.respond(lambda s: Reply(400, {"code": 300, "message": "bad token"}) if "p3" in s.query else inner(s))
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"}, paginate=True)
    assert not env["successful"] and env["error"].startswith("Page 3 failed after 2 page(s)")
    assert [m["id"] for m in env["data"]["meetings"]] == [100, 101, 200, 201]


def test_repeated_token_stops(tk, server):
    server.respond(lambda s: Reply(200, {"next_page_token": "same", "meetings": [{"id": 1}]}))
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"}, paginate=True)
    assert env["successful"] and len(server.api_requests()) == 2


def test_page_number_style(tk, server):
    def respond(seen):
        n = int(parse_qs(seen.query).get("page_number", ["1"])[0])
        return Reply(200, {"page_count": 3, "page_number": n, "page_size": 1, "webinars": [{"id": n}]})
    server.respond(respond)
    env = tk.execute("ZOOM_LIST_WEBINARS", {"userId": "me"}, paginate=True)
    assert [w["id"] for w in env["data"]["webinars"]] == [1, 2, 3]
    assert server.api_requests()[-1].target == "/users/me/webinars?page_number=3"


def test_pages_iterator(tk, server):
    server.respond(_paged(3))
    pages = list(tk.pages("ZOOM_LIST_MEETINGS", {"userId": "me"}))
    assert [len(p["data"]["meetings"]) for p in pages] == [2, 2, 2]
    assert all(p["successful"] for p in pages)
    pages = list(tk.pages("ZOOM_LIST_MEETINGS", {"userId": "me"}, max_pages=1))
    assert len(pages) == 1
    bad = list(tk.pages("ZOOM_LIST_MEETINGS", {"userId": ["me"]}))
    assert len(bad) == 1 and not bad[0]["successful"]


def test_async_pages_and_paginate(tk, server):
    server.respond(_paged(4))

    async def main():
        try:
            got = [p async for p in tk.apages("ZOOM_LIST_MEETINGS", {"userId": "me"})]
            merged = await tk.aexecute("ZOOM_LIST_MEETINGS", {"userId": "me"}, paginate=True, max_pages=3)
            return got, merged
        finally:
            await tk.aclose()

    got, merged = asyncio.run(main())
    assert len(got) == 4
    assert len(merged["data"]["meetings"]) == 6
