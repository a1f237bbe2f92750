"""Text as it is searched, the same on SQLite and Postgres: case and diacritics folded away
(`fold`), and a SQL function `search_fold` that folds a column the same way in the database."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func

# Letters that Unicode decomposition leaves whole, spelt as a Dutch reader would look them up.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",  # the dotless i of Turkish
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
        # Apostrophes and hyphens as typed on a phone or pasted from a word processor.
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
    }
)


# Every combining mark (the accents NFKD splits off), for `str.translate` to drop at C speed.
_MARKS = dict.fromkeys(cp for cp in range(0x300, 0x1E950) if unicodedata.combining(chr(cp)))


def fold_letters(text: str) -> str:
    """`text` with its letters folded (case, diacritics, ligatures) and its white space as it
    is."""
    if not text.isascii():
        # NFKD splits letters from their marks (and ligatures into letters); casefold before
        # it, since folding case can bring marks of its own (İ is i and a dot).
        text = text.translate(_LETTERS).casefold()
        text = unicodedata.normalize("NFKD", text).translate(_MARKS).translate(_LETTERS)
    return text


def fold(text: str) -> str:
    """`text` with case and diacritics folded away and white space made single spaces:
    "ÖZTÜRK", "Öztürk" and "ozturk" all fold to "ozturk", "Straße" to "strasse", "Łukasz"
    to "lukasz". Every search term is folded by it, and so is every member's name key."""
    return " ".join(fold_letters(text).lower().split())


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: ColumnElement[Any], term: str) -> ColumnElement[bool]:
    """The column holds the term, regardless of case, diacritics and runs of white space:
    "ideeen" finds "Ideeën", "cafe" finds "CAFÉ". Both sides are folded by `fold`, the
    column by the database's `search_fold` (SQLite runs `fold` itself, Postgres a SQL
    function that agrees with it; see `postgres_search_fold`)."""
    return func.search_fold(column).like(f"%{escape_like(fold(term))}%", escape="\\")


def mentions(column: ColumnElement[Any], needle: str) -> ColumnElement[bool]:
    """The column holds the needle as it is written, ignoring ASCII case only: for finding
    an identifier or an address, where folding accents could find somebody else's."""
    return func.lower(column).like(f"%{escape_like(needle.lower())}%", escape="\\")


# --- the fold in Postgres ---------------------------------------------------------------------
#
# Postgres cannot run `fold`, so it gets a SQL function that spells out what `fold` does to
# every character of the scripts a member of a Dutch municipality writes (Latin with its
# accents and ligatures, Greek, Cyrillic, the punctuation of a word processor): a chain of
# `replace` for the characters that fold to several (ß, æ, ĳ, ﬁ …), run only on a text that
# holds one of them, one `translate` for the rest, then runs of spaces made one. It needs no extension (unaccent) and no collation: the
# same text folds to the same bytes on every server. A character outside these blocks is left
# as it is (where `fold` might still change its case); tests/core/test_search_fold.py checks
# that both agree on every character inside them.
SEARCH_FOLD_BLOCKS = (
    range(0x00, 0x80),  # ASCII: its capitals and its white space
    range(0x80, 0x530),  # Latin-1, Latin Extended-A and B, IPA, marks, Greek, Cyrillic
    range(0x1E00, 0x1F00),  # Latin Extended Additional
    range(0x2000, 0x2070),  # general punctuation: spaces, dashes, quotes
    range(0xFB00, 0xFB07),  # Latin ligatures
)


def _fold_character(character: str) -> str:
    """What `fold` makes of one character within a text (its white space not yet joined)."""
    if character.isspace():
        return " "
    return fold_letters(character).lower()


def _folded_characters(blocks: Iterable[range]) -> dict[str, str]:
    changed: dict[str, str] = {}
    for block in blocks:
        for code_point in block:
            character = chr(code_point)
            folded = _fold_character(character)
            if folded != character:
                changed[character] = folded
    return changed


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def postgres_search_fold() -> str:
    """The statement that creates (or replaces) `search_fold(text)` in Postgres."""
    changed = _folded_characters(SEARCH_FOLD_BLOCKS)
    # What a replace writes must pass the translate unchanged: only characters fold keeps.
    several = {c: f for c, f in changed.items() if len(f) > 1 and all(x not in changed for x in f)}
    single = {c: f for c, f in changed.items() if len(f) == 1}
    dropped = [c for c, f in changed.items() if not f]
    expression = "$1"
    for character, folded in several.items():
        expression = f"replace({expression}, {_literal(character)}, {_literal(folded)})"
    # None of these characters means anything inside a bracket expression.
    expression = (
        f"CASE WHEN $1 ~ {_literal('[' + ''.join(several) + ']')} THEN {expression} ELSE $1 END"
    )
    sources = "".join(single) + "".join(dropped)  # characters beyond the targets are removed
    expression = (
        f"translate({expression}, {_literal(sources)}, {_literal(''.join(single.values()))})"
    )
    expression = f"btrim(regexp_replace({expression}, ' {{2,}}', ' ', 'g'), ' ')"
    return (
        "CREATE OR REPLACE FUNCTION search_fold(value text) RETURNS text\n"
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE\n"
        f"AS $fold$ SELECT {expression} $fold$"
    )


def sqlite_search_fold(value: str | None) -> str | None:
    """`search_fold` in SQLite: `fold` itself (NULL stays NULL)."""
    return None if value is None else fold(value)
