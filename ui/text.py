"""The one escaping helper: text people type, shown through Streamlit's markdown.

Streamlit renders every body, caption, toast, alert and tooltip as markdown (CommonMark
+ GFM, LaTeX between `$`, `:red[...]` directives, `:material/x:` icons, `:emoji:`
shortcodes, autolinked `www.` addresses). CommonMark lets a backslash escape any ASCII
punctuation, so `md` escapes all of it: nothing a person typed can become a link, an
image, emphasis, a heading, a list, a formula, a directive or HTML. Our own markdown
(bold, badges) wraps the escaped text; text shown by st.text, st.code or a dataframe
needs no escaping.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from core.errors import UpdateRejected
from core.progress.updates import validate_evidence_url

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# Streamlit's inline logo and GFM's bare links (`https://…`, `www.…`, `a@b.org`) are
# found in the parsed text, after escapes are resolved: an invisible word joiner
# (U+2060) inside each keeps them from matching.
_JOIN = "\u2060"
_UNLINK = [
    (re.compile(r"(?i):(streamlit):"), rf":{_JOIN}\1{_JOIN}:"),
    (re.compile(r"(?i)\b(https?):(?=//)"), rf"\1:{_JOIN}"),
    (re.compile(r"(?i)\b(www)(?=\.)"), rf"\1{_JOIN}"),
    (re.compile(r"@"), f"{_JOIN}@"),
]
# Four spaces or a tab at a line's start would make an indented code block.
_INDENT = re.compile(r"^(?: {4,}| *\t)[ \t]*", re.MULTILINE)


def md(text: object) -> str:
    """`text` escaped so Streamlit's markdown shows it literally, on one or more lines."""
    return _escaped("" if text is None else str(text))


# Pure, and a page escapes the same names (regions, statuses, strategies) hundreds of
# times a run: remembered, a few thousand strings at most.
@lru_cache(maxsize=8192)
def _escaped(value: str) -> str:
    for pattern, joined in _UNLINK:
        value = pattern.sub(joined, value)
    value = _PUNCTUATION.sub(r"\\\1", value)
    # Line breaks stay line breaks.
    value = _INDENT.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\n", "  \n")


def link(label: str, url: str | None) -> str:
    """A markdown link to `url` if it parses as an http(s) address, else the label and
    the address as plain escaped text (a link never breaks out of its brackets)."""
    try:
        safe = validate_evidence_url(url)
    except UpdateRejected:
        safe = None
    if safe is None:
        return md(f"{label} ({url})") if url else md(label)
    # Inside <…> a destination may hold anything but <, > and line breaks, which the
    # validator refuses; the label is escaped like any text.
    return f"[{md(label)}](<{safe}>)"
