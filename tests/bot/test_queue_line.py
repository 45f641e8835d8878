"""A job waiting in the fair queue shows its place on its status message, in the user's
language, sparsely (only when the position crosses a step), and the waiting users' messages
follow the queue as it moves: the real bot against the Telegram emulator and the sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.bot.progress import LINE_STEPS, Drawing, line_step, set_line, status_text
from higgsctl.engine import JobEvent
from higgsctl.engine.events import IN_LINE
from higgsctl.engine.models import Generation

from .harness import Running, configure, eventually
from .test_job_status import generate


def waiting(position: int | None, eta: float | None = None) -> JobEvent:
    return JobEvent(7, "pending", "detail", IN_LINE, position, eta)


@pytest.mark.parametrize("lang, position, eta, text", [
    ("en", 1, None, "⏳ Generation #7 is 1st in line."),
    ("en", 3, 37.0, "⏳ Generation #7 is 3rd in line, about 40 s."),
    ("en", 17, 200.0, "⏳ Generation #7 is in line, no further back than 20th, about 3 min."),
    ("en", 4000, 9000.0, "⏳ Generation #7 is in line, further back than 1000th, about 2 h."),
    ("ru", 2, 0.0, "⏳ Генерация #7: 2-я в очереди, примерно 5 с."),
    ("ru", 21, None, "⏳ Генерация #7 в очереди, не дальше 30-го места."),
    ("ru", 1001, 61.0, "⏳ Генерация #7 в очереди, дальше 1000-го места, примерно 1 мин."),
])
def test_the_line_in_both_languages(lang, position, eta, text):
    drawing = Drawing("pending", IN_LINE)
    set_line(drawing, waiting(position, eta))
    assert status_text(lang, 7, drawing) == text


def test_a_long_queue_moving_forward_is_redrawn_only_at_the_steps():
    drawing = Drawing("pending", IN_LINE)
    texts = []
    for position in range(3000, 0, -1):  # every position, each with a fresh estimate
        set_line(drawing, waiting(position, position * 7.5))
        text = status_text("en", 7, drawing)
        if not texts or texts[-1] != text:
            texts.append(text)
    assert len(texts) == 1 + len(LINE_STEPS)  # beyond 1000, then one line per step: 14 edits for 3000 moves
    assert texts[-1] == "⏳ Generation #7 is 1st in line, about 10 s."


def test_every_position_is_honest_about_where_it_is():
    for position in range(1, 2500):
        kind, n = line_step(position)
        assert {"exact": position == n, "within": position <= n, "beyond": position > n}[kind]
        if kind == "within":
            assert max(s for s in LINE_STEPS if s < n) < position


def test_a_job_that_starts_leaves_the_line():
    drawing = Drawing("pending", IN_LINE)
    set_line(drawing, waiting(2))
    drawing.status, drawing.code = "queued", None
    set_line(drawing, JobEvent(7, "queued"))
    assert drawing.line is None and status_text("en", 7, drawing) == "⏳ Generation #7 is queued…"


# --- end to end: ten users, two slots -------------------------------------------------------------

USERS = range(101, 111)


def status_message(bot, emu, generation: Generation):
    return next(m for m in emu.user(generation.user_id).messages() if m.message_id == generation.status_message_id)


def generations(bot) -> list[Generation]:
    return list(Generation.select().order_by(Generation.id))


@pytest.fixture
async def bot(settings, emu, sandbox):
    sandbox.options.service_time = 120.0  # held until the test completes them
    s = configure(settings, emu, sandbox)
    s = replace(s, higgsfield=replace(s.higgsfield, max_concurrent=2, poll_initial=0.05, poll_max=0.1))
    running = await Running(s).start()
    yield running
    await running.stop()


async def test_a_queue_of_ten_shows_and_updates_positions_on_the_waiting_users_messages(bot, emu, sandbox):
    users = [emu.user(uid, f"User {uid}", language_code="ru" if uid % 2 else "en") for uid in USERS]
    for user in users:  # one after the other: the line is in this order
        await generate(user)
        await eventually(lambda: Generation.select().where(Generation.user_id == user.id).exists())
    await eventually(lambda: sum(g.request_id is not None for g in generations(bot)) == 2)
    gens = generations(bot)
    first, line = gens[:2], gens[2:]

    def shows(g: Generation, position: int) -> bool:
        """The line for ``position`` (with any estimate: once a job finished, there is one)."""
        drawing = Drawing("pending", IN_LINE)
        set_line(drawing, waiting(position))
        line = status_text("ru" if g.user_id % 2 else "en", g.id, drawing).removesuffix(".")
        return (status_message(bot, emu, g).text or "").startswith(line)

    # Positions 1..8, drawn as the schedule says (1st, 2nd, 3rd, then "no further back than 5th / 8th").
    for position, g in enumerate(line, 1):
        await eventually(lambda: shows(g, position))
    assert status_message(bot, emu, line[2]).text.endswith(("3rd in line.", "3-я в очереди."))  # no estimate yet
    edits = {g.id: status_message(bot, emu, g).edits for g in line}

    for g in first:  # two slots free up: everyone moves up two places
        sandbox.complete_now(bot.engine.generations.get(g.id).request_id)
    for position, g in enumerate(line[2:], 1):
        await eventually(lambda: shows(g, position))
    # Sparse: 3 -> 1, 4 -> 2, 5 -> 3, 6 -> 4 and 7 -> 5 crossed a step; 8 -> 6 is still "no further back than 8th".
    assert all(status_message(bot, emu, g).edits > edits[g.id] for g in line[2:7])
    assert status_message(bot, emu, line[7]).edits == edits[line[7].id]

    def finish_all() -> bool:  # complete whatever runs upstream until every image is delivered
        for g in generations(bot):
            if g.request_id and g.status in ("queued", "in_progress"):
                sandbox.complete_now(g.request_id)
        return all(g.delivered_at is not None for g in generations(bot))

    await eventually(finish_all, timeout=30)
    for user in users:
        assert [m.kind for m in user.messages()].count("photo") == 1
    assert bot.engine.credits.discrepancies() == []
