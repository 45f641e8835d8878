"""Edges of the confirm card found in review: what a card shows is what Generate can run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import User
from higgsctl.engine.styles import StyleSpec

from .harness import ALICE, Offline, configure, image, last_text
from .test_conversation import generations


@pytest.fixture
async def bot(settings, emu):
    async with Offline(configure(settings, emu), emu) as offline:
        yield offline


async def test_a_style_that_brings_its_model_keeps_only_the_references_that_model_takes(settings, emu):
    styles = {"wide": StyleSpec(name="wide", template="{prompt}, wide", labels={"en": "Wide", "ru": "Широко"},
                                model="nano-banana")}  # Nano Banana takes 8 references, Seedream 14
    async with Offline(configure(replace(settings, styles=styles), emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await bot.feed()
        User.update(default_model="seedream-4.5").where(User.id == ALICE).execute()
        await alice.send_album([image(color=(i, i, i)) for i in range(10)], "ten of them")
        await bot.feed()
        await bot.settle()
        assert "Model: Seedream 4.5" in last_text(alice) and "Reference photos: 10" in last_text(alice)
        for data in ("e:style", "sy:wide"):
            await alice.press(data)
            await bot.feed()
        assert "Model: Nano Banana" in last_text(alice) and "Reference photos: 8" in last_text(alice)
        await alice.press("go")
        await bot.feed()
        assert [len(g.references) for g in generations(bot)] == [8]
        assert bot.engine.credits.balance(ALICE) == 10000 - 50
