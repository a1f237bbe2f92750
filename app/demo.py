"""The demo community (placeholder until the seed module lands)."""

from __future__ import annotations


async def seed_demo(if_empty: bool = False) -> str:
    return "nothing to seed yet"
