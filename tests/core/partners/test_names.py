"""core/partners/names.py: the one rule for when two names are the same name."""

from __future__ import annotations

import pytest

from core.partners.names import name_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MCASDV", "mcasdv"),
        ("MO Dep’t of Health", "MO Dep't of Health"),
        ("HT Taskforce— Social Services committee", "ht taskforce- social services committee"),
        ("  Local   DSV\tAgencies ", "Local DSV Agencies"),
        ("ＩＣＡＳＡ", "ICASA"),  # full-width letters (NFKC)
        ("Straße", "STRASSE"),  # casefold, not lower
    ],
)
def test_name_key_same_name(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Homelessness Coalition?", "Homelessness Coalition"),
        ("Faith-based Initiatives", "Faith based Initiatives"),
        ("KCPDs CITs", "KCPD's CIT"),
    ],
)
def test_name_key_different_names(a, b):
    assert name_key(a) != name_key(b)
