"""The diff of Zoom's 2023 combined "Zoom Meeting API" against today's
Meetings and Users specs: the kind of change regeneration will meet."""

from __future__ import annotations

import pytest

from zoom_actions.diff import diff


@pytest.fixture(scope="module")
def report(spec_dir):
    old = spec_dir / "history" / "zoom-meeting-api-2023.json"
    if not old.exists():
        pytest.fail(f"{old} is missing", pytrace=False)
    return diff(old, spec_dir, products=["meetings", "users"])


def test_every_operation_of_the_combined_file_is_split_into_a_product(spec_dir):
    old = spec_dir / "history" / "zoom-meeting-api-2023.json"
    whole = diff(old, old)  # no product filter: the split alone
    assert len(whole.old.actions) == 281  # every operation of the combined file
    # today's Accounts document holds what the combined file had under /accounts
    assert {"meetings", "users", "accounts"} <= {a["product"] for a in whole.old.actions.values()}


def test_sides_are_split_into_meetings_and_users(report):
    assert {a["product"] for a in report.old.actions.values()} == {"meetings", "users"}
    assert {a["product"] for a in report.new.actions.values()} == {"meetings", "users"}
    # operations pinned in the lock keep their names on both sides
    assert report.old.actions["ZOOM_CREATE_A_MEETING"]["operation"]["path"] == "/users/{userId}/meetings"
    assert report.old.actions["ZOOM_CREATE_A_MEETING"]["product"] == "meetings"


def test_meeting_summary_is_added(report):
    added = {a["name"]: a for a in report.added}
    assert "ZOOM_GET_A_MEETING_SUMMARY" in added
    assert added["ZOOM_GET_A_MEETING_SUMMARY"]["path"] == "/meetings/{meetingId}/meeting_summary"
    assert "ZOOM_GET_A_MEETING_SUMMARY" in report.to_markdown()


def test_breaking_changes_name_their_parameter(report):
    assert report.breaking
    named = [(n, c) for n, cs in report.changed.items() for c in cs if c.breaking and c.parameter]
    assert named, "no breaking change names a parameter"
    for name, change in named:
        assert f"`{change.parameter}`" in change.detail
        assert change.parameter in report.new.actions[name]["input_schema"]["properties"] \
            or change.parameter in report.old.actions[name]["input_schema"]["properties"]
    removed = {a["name"] for a in report.removed}
    assert report.to_json()["summary"]["breaking_changes"] >= len(removed) + len(named)


def test_operations_that_moved_product_are_not_removed(spec_dir):
    """The 2023 combined file held roles and dashboards that today's Accounts
    document holds: across every product they are the same actions, not a
    removal plus an addition."""
    whole = diff(spec_dir / "history" / "zoom-meeting-api-2023.json", spec_dir)
    removed, added = {a["name"] for a in whole.removed}, {a["name"] for a in whole.added}
    assert "ZOOM_LIST_ROLES" in whole.old.actions and "ZOOM_LIST_ROLES" in whole.new.actions
    assert whole.new.actions["ZOOM_LIST_ROLES"]["product"] == "accounts"
    assert "ZOOM_LIST_ROLES" not in removed | added


def test_reworded_summaries_keep_names(report):
    reworded = [n for n, cs in report.changed.items() if any(c.kind == "summary_reworded" for c in cs)]
    assert reworded
    for name in reworded:
        assert report.old.actions[name]["title"] != report.new.actions[name]["title"]
