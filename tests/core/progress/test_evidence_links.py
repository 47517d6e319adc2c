"""Evidence links are parsed, not pattern-matched: http(s) with a host, stored
normalised, so no link can break out of the markdown it is shown in (issue 11, item 7)."""

from __future__ import annotations

import pytest

from core.errors import UpdateRejected
from core.progress.updates import validate_evidence_url


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  https://example.org/minutes.pdf ", "https://example.org/minutes.pdf"),
        ("HTTPS://Example.ORG/Report", "https://example.org/Report"),
        ("http://example.org:8080/a?b=1&c=2#top", "http://example.org:8080/a?b=1&c=2#top"),
        (
            "https://a.example/)[x](https://evil.example/login)",
            "https://a.example/%29%5Bx%5D%28https://evil.example/login%29",
        ),
        ("https://a.example/<img src=x>", None),  # a space: refused below
        ("https://a.example/p<b>", "https://a.example/p%3Cb%3E"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
        ("", None),
        (None, None),
    ],
)
def test_evidence_url_is_stored_normalised(typed, stored):
    if typed and " " in typed.strip():
        with pytest.raises(UpdateRejected, match="space"):
            validate_evidence_url(typed)
        return
    assert validate_evidence_url(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("javascript:alert(1)", "http"),
        ("data:text/html,<b>x</b>", "http"),
        ("example.org/x", "http"),
        ("http:///nohost", "http"),
        ("https://exa mple.org", "space"),
        ("https://example.org/\u200bx", "invisible"),
        ("https://example.org/\nx", "space"),
        ("https://user:secret@example.org/", "password"),
        ("https://example.org:99999/", "http"),
        ("https://ex<ample.org/", "not a web server"),
        ("https://" + "a" * 2_000 + ".org", "longer than"),
    ],
)
def test_evidence_url_refuses_what_is_not_a_web_address(typed, message):
    with pytest.raises(UpdateRejected, match=message):
        validate_evidence_url(typed)
