"""ui/screen.py's rule: which layout of an outcome list a browser gets."""

from __future__ import annotations

import pytest

from ui import screen

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize("agent", [IPHONE, ANDROID, FIREFOX_ANDROID])
def test_a_phone_gets_cards_on_its_first_visit(agent):
    assert screen.is_narrow(None, agent, None)


@pytest.mark.parametrize("agent", [DESKTOP, ANDROID_TABLET, "", None])
def test_a_desktop_or_tablet_gets_the_table_on_its_first_visit(agent):
    assert not screen.is_narrow(None, agent, None)


def test_chromiums_mobile_hint_counts():
    assert screen.is_narrow(None, DESKTOP, "?1")
    assert not screen.is_narrow(None, DESKTOP, "?0")


def test_the_tabs_measure_wins_over_the_user_agent():
    assert screen.is_narrow("narrow", DESKTOP, None)  # a narrowed desktop window
    assert not screen.is_narrow("wide", IPHONE, "?1")  # a phone held sideways, or a fold


@pytest.mark.parametrize("cookie", ["", "tiny", "NARROW", "narrow; x=1"])
def test_an_unknown_cookie_is_ignored(cookie):
    assert screen.is_narrow(cookie, IPHONE, None)
    assert not screen.is_narrow(cookie, DESKTOP, None)
