"""The one rule for when two names are the same name: `name_key`.

OrganisationName.key holds it (unique across all organisations), the catalogue checks
data/organisations.yaml with it, and lookups by name use it.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic variants a report or a keyboard produce for the same character:
# "MO Dep’t of Health" and "MO Dep't of Health" are one name. Other punctuation
# is kept: "Homelessness Coalition?" and "MO-TIC" stay what they are.
_FOLDED = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u02bc": "'",  # ʼ
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2212": "-",  # minus
    }
)
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The key two names share when they are the same name: Unicode-normalised (NFKC),
    casefolded, curly quotes and dashes as their ASCII selves, runs of whitespace as
    one space, no leading or trailing space."""
    text = unicodedata.normalize("NFKC", name).translate(_FOLDED).casefold()
    return _SPACES.sub(" ", text).strip()
