"""Which actions a contract run checks (contract/selection.py), the command's
refusals before any Prism starts, and closing a run's many relays at once."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest

from contract import __main__ as cli
from contract import check, selection
from contract.relay import Relay, close_all


def test_workflows_are_never_checked(catalog):
    names = selection.operations(catalog)
    assert catalog.workflows() and not set(catalog.workflows()) & set(names)
    assert names == catalog.operations()
    assert selection.operations(catalog, products=["clips"]) == [
        n for n in catalog.operations() if catalog.entry(n)["product"] == "clips" or "clips" in
        catalog.entry(n).get("also_in", [])]


def test_the_sample_reaches_every_product_and_keeps_whole_products_defects_and_downloads(catalog):
    names = selection.operations(catalog)
    allowed = [a for e in check.load_allowlist() for a in check.entry_actions(e)]
    picked = selection.sample(catalog, names, 10, whole=["meetings", "phone"], always=allowed)
    assert picked == selection.sample(catalog, names, 10, whole=["meetings", "phone"], always=allowed)  # stable
    assert [n for n in names if n in set(picked)] == picked                                              # in order
    per_product = Counter(catalog.entry(n)["product"] for n in picked)
    everywhere = Counter(catalog.entry(n)["product"] for n in names)
    assert set(per_product) == set(everywhere)                      # every product reached
    for product in ("meetings", "phone"):
        assert per_product[product] == everywhere[product]          # whole
    assert set(allowed) <= set(picked)
    downloads = [n for n in names if catalog.get(n).get("response_content_type")]
    assert downloads and set(downloads) <= set(picked)
    users = [n for n in names if catalog.entry(n)["product"] == "users"]
    assert per_product["users"] <= len(users) // 10 + 1 + sum(n in set(allowed) | set(downloads) for n in users)
    assert len(picked) < len(names) / 2
    assert selection.sample(catalog, names, 1) == names
    with pytest.raises(ValueError, match="positive"):
        selection.sample(catalog, names, 0)


def _spec_args() -> list[str]:
    spec_dir = os.environ.get("ZOOM_SPEC_DIR")
    return ["--spec-dir", spec_dir] if spec_dir else []


def test_bad_selections_are_refused_before_prism_starts(catalog, capsys, tmp_path):
    common = [*_spec_args(), "--catalog", str(catalog.directory), "--report", str(tmp_path / "r.json")]
    assert cli.main([*common, "--whole", "meetings"]) == 2
    assert "add --sample K" in capsys.readouterr().err
    assert cli.main([*common, "--product", "meeting"]) == 2
    err = capsys.readouterr().err
    assert "no product 'meeting'" in err and err.index("meetings") < err.index("phone")   # closest first
    assert cli.main([*common, "--sample", "5", "--whole", "phones"]) == 2
    assert "'phones'" in capsys.readouterr().err
    assert cli.main([*common, "--sample", "0"]) == 2
    assert "positive" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_many_relays_close_at_once():
    relays = [Relay(9) for _ in range(24)]
    began = time.monotonic()
    close_all(relays)
    # one after another, each waits up to half a second for its poll loop: about 6 s for these
    assert time.monotonic() - began < 3
    for r in relays:
        assert r.server.socket.fileno() == -1
