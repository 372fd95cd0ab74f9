"""Typed models (datamodel-code-generator) and the Markdown reference (jinja2)."""

from __future__ import annotations

import importlib
import os

import pytest

from zoom_actions.codegen import docs
from zoom_actions.codegen.models import class_name, module_name


@pytest.fixture(scope="module")
def models(catalog):
    mods = {}
    for product in catalog.products():
        try:
            mods[product] = importlib.import_module(f"zoom_actions.models.{module_name(product)}")
        except ModuleNotFoundError:
            if os.environ.get("CI"):
                pytest.fail("typed models are missing: `make generate` runs `zoom-actions generate --models`")
            pytest.skip("typed models not generated")
    return mods


def test_every_action_has_input_and_output_models(catalog, models):
    for name in catalog.names():
        mod = models[catalog.entry(name)["product"]]
        assert hasattr(mod, class_name(name, "Input")), name
        assert hasattr(mod, class_name(name, "Output")), name


def test_create_a_meeting_model_validates(models):
    from pydantic import ValidationError

    Model = models["meetings"].ZoomCreateAMeetingInput
    m = Model(userId="me", topic="Sync", type=2, settings__waiting_room=True)
    assert m.model_dump(exclude_unset=True) == {"userId": "me", "topic": "Sync", "type": 2,
                                                 "settings__waiting_room": True}
    with pytest.raises(ValidationError):
        Model(userId="me", type=99)  # not in the enum
    with pytest.raises(ValidationError):
        Model(topic="no user")  # userId is required
    with pytest.raises(ValidationError):
        Model(userId="me", settings__waiting__roomz=True)  # unknown field


def test_reference_docs_have_a_section_per_action(catalog, tmp_path):
    written = docs.render(catalog.directory, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{p}.md" for p in catalog.products())
    text = (tmp_path / "meetings.md").read_text()
    assert text.count("\n## ZOOM_") == 181
    section = text.split("\n## ZOOM_CREATE_A_MEETING\n", 1)[1].split("\n## ", 1)[0]
    assert "`POST /users/{userId}/meetings`" in section
    assert "| `settings__waiting_room` | boolean |" in section
    assert "| `userId` | string | yes | path |" in section
    assert "one of 1, 2, 3" in section  # recurrence__type enum
    assert "Rate-limit label: MEDIUM" in section and "meeting:write:admin" in section
    assert 'tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "string"})' in section
