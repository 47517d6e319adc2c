"""A view's search is bounded in core (core.progress.filters), so every reader of a
view (pages, exports, the printed report) runs at most SEARCH_MAX_WORDS words: a
1,000-word search, which SQLite refuses as "Expression tree is too large", reads as
its first words."""

from __future__ import annotations

from sqlmodel import Session

from core.progress.filters import (
    SEARCH_MAX_CHARS,
    SEARCH_MAX_WORDS,
    OutcomeFilter,
    bounded_search,
    describe,
    search_shortened_message,
)
from core.progress.queries import export_rows

WORDS = " ".join(["shelter"] * 1_000)


def test_a_thousand_word_search_reads_as_its_first_words(session: Session) -> None:
    rows = export_rows(session, OutcomeFilter(search=WORDS))

    assert rows == export_rows(session, OutcomeFilter(search="shelter"))
    assert rows  # the plan has shelter outcomes


def test_bounded_search_keeps_words_and_characters() -> None:
    assert bounded_search("  housing   legal\x00aid ") == ("housing legal aid", False)
    kept, shortened = bounded_search(WORDS)
    assert shortened and kept.split() == ["shelter"] * SEARCH_MAX_WORDS
    kept, shortened = bounded_search("x" * 1_000)
    assert shortened and kept == "x" * SEARCH_MAX_CHARS
    assert search_shortened_message("housing") is None
    assert f"first {SEARCH_MAX_WORDS} words" in (search_shortened_message(WORDS) or "")
    assert describe(OutcomeFilter(search=WORDS)) == f"text “{kept_words()}”"


def kept_words() -> str:
    return " ".join(["shelter"] * SEARCH_MAX_WORDS)
