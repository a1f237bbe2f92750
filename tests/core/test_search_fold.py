"""`q` on every list ignores case, diacritics and runs of white space, the same on SQLite
(which runs the app's `fold`) and on Postgres (which runs the SQL function `search_fold`)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, select

from app.core.db import database
from app.core.text import SEARCH_FOLD_BLOCKS, fold
from tests.factories import (
    bearer,
    make_department,
    make_key,
    make_organisation,
    make_question,
    make_workshop,
)


def _names(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item.get("title") or item.get("name") for item in response.json()["items"]}


async def test_q_finds_dutch_words_whatever_their_accents_and_case(client):
    key = await make_key("reader")
    await make_question(title="Ideeën voor de coördinatie van hergebruik")
    await make_question(title="Financiële   prikkels\nvoor circulair inkopen")
    await make_question(title="Materialenpaspoort")

    async def titles(q: str) -> set[str]:
        response = await client.get("/v1/learning-questions", params={"q": q}, headers=bearer(key))
        return _names(response)

    ideas = {"Ideeën voor de coördinatie van hergebruik"}
    assert await titles("ideeen") == ideas
    assert await titles("IDEEËN") == ideas
    assert await titles("coördinatie") == ideas
    assert await titles("COORDINATIE") == ideas
    # A line break and three spaces in the title are one space to the search.
    assert await titles("financiele prikkels voor") == {
        "Financiële   prikkels\nvoor circulair inkopen"
    }
    assert await titles("ë%") == set()  # still no wildcards


async def test_q_folds_on_the_other_lists_too(client):
    key = await make_key("reader")
    await make_workshop(title="Werkplaats in Café De Ceuvel", location="Café De Ceuvel")
    await make_organisation(name="Ærø Circulaire Bouw")
    await make_department(name="Straßenbau & Ruimte", code="SRB")

    async def found(path: str, q: str) -> set[str]:
        response = await client.get(path, params={"q": q}, headers=bearer(key))
        return _names(response)

    assert await found("/v1/workshops", "CAFE DE CEUVEL") == {"Werkplaats in Café De Ceuvel"}
    assert await found("/v1/organisations", "aero circ") == {"Ærø Circulaire Bouw"}
    assert await found("/v1/departments", "strassenbau") == {"Straßenbau & Ruimte"}


def _sample_texts() -> list[str]:
    # Every character of the blocks the Postgres function spells out, each between letters.
    every = "".join(f"x{chr(cp)}x" for block in SEARCH_FOLD_BLOCKS for cp in block if cp)
    return [
        every,
        "  Öztürk\u00a0ĲSSEL  ﬁets\tstraße  ",
        "o\u0308zt\u0303u\u0308rk",  # decomposed marks
        "\u2019s-Hertogenbosch \u2013 Ærø \u2013 Œuvre \u2013 ½ \u2013 …",
    ]


@pytest.mark.parametrize(
    "text", _sample_texts(), ids=["every-character", "mixed", "decomposed", "punctuation"]
)
async def test_the_database_folds_as_the_app_does(app, text: str):
    statement = select(func.search_fold(bindparam("text")))
    async with database.engine.connect() as conn:

        async def folded(value: str) -> str | None:
            return (await conn.execute(statement, {"text": value})).scalar()

        if await folded(text) != fold(text):
            # Name the characters the two folds disagree on, each between two letters.
            differ = [c for c in text if await folded(f"x{c}x") != fold(f"x{c}x")]
            raise AssertionError(f"search_fold and fold differ on {differ!r} in {text!r}")
