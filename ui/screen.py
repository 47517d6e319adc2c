"""Which of an outcome list's two layouts a browser gets: stacked cards on a phone, the
selectable table (with its bulk update) elsewhere. Only that one is drawn: both,
switched by the stylesheet, cost every run both sets of elements for every reader
(Overdue's twenty cards were a fifth of its run, drawn and then hidden on a desktop).

The server learns the screen from the `tracker_screen` cookie, which the tab's script
(ui/shell.py's TAB_SCRIPT) keeps at "narrow" (at most NARROW_PX wide) or "wide", and
which Streamlit reads when the page connects. Before that cookie exists (a first visit),
from the browser's own word: phones' user agents say "Mobi" (what MDN advises testing
for), and Chromium sends the client hint `Sec-CH-UA-Mobile: ?1`. A window resized
across NARROW_PX gets the other layout at its next page load; until then the one drawn
stays shown (the table scrolls inside its own box, the cards stack).
"""

from __future__ import annotations

import streamlit as st

from ui import browser_session

COOKIE = "tracker_screen"
NARROW_PX = 640


def is_narrow(cookie: str | None, user_agent: str | None, mobile_hint: str | None) -> bool:
    """The rule: the tab's own measure when it sent one, else what the browser says
    it is."""
    if cookie in ("narrow", "wide"):
        return cookie == "narrow"
    return "Mobi" in (user_agent or "") or (mobile_hint or "").strip() == "?1"


def narrow() -> bool:
    """Whether this session's browser gets the phone layout."""
    try:
        headers = st.context.headers
        agent, hint = headers.get("User-Agent"), headers.get("Sec-CH-UA-Mobile")
    except Exception:  # no browser request behind this run (e.g. a test harness)
        agent = hint = None
    return is_narrow(browser_session.cookie(COOKIE), agent, hint)
