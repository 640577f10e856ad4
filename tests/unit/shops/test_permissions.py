"""SPEC §0: sub-accounts get per-area permissions from the main account."""

from __future__ import annotations

import pytest

from siyu.shops.domain import ALL_PERMISSIONS, VIEWER_PERMISSIONS, Grants, normalise


def test_the_main_account_may_do_everything() -> None:
    main = Grants(frozenset(), is_main=True)
    assert all(main.allows(p) for p in ALL_PERMISSIONS)


def test_manage_implies_view_of_the_same_area_only() -> None:
    grants = Grants(frozenset({"groups:manage"}))
    assert grants.allows("groups:view") and grants.allows("groups:manage")
    assert not grants.allows("customers:view")


def test_a_viewer_can_view_every_area_and_change_none() -> None:
    viewer = Grants(frozenset(VIEWER_PERMISSIONS))
    assert all(viewer.allows(p) for p in VIEWER_PERMISSIONS)
    assert not any(viewer.allows(p) for p in ALL_PERMISSIONS if not p.endswith(":view"))


def test_nobody_can_grant_beyond_their_own_permissions() -> None:
    grants = Grants(frozenset({"customers:manage"}))
    assert grants.covers(["customers:view"])
    assert not grants.covers(["staff:manage"])


def test_unknown_permissions_are_refused() -> None:
    with pytest.raises(ValueError):
        normalise(["customers:view", "root:all"])
    assert normalise([" customers:view ", "customers:view"]) == ["customers:view"]
