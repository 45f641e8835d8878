"""Benchmark: a broadcast to N users sent by the real bot (start_bot, as `higgsctl bot run`
starts it, with PTB's rate limiter as in production) through the Telegram Bot API emulator;
a tenth of the users blocked the bot (the emulator answers 403).

Prints the pacing (messages a second, measured at the emulator), the time to reach everyone,
and the report (sent / blocked / failed / unknown); nobody may get it twice.

    .venv/bin/python -m bench.broadcast [--users 500] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import replace

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
TEXT = "Weekend sale: 20% more credits for Stars until Sunday!"


async def run(args) -> dict:
    from higgsctl.bot.runner import start_bot, stop_bot
    from higgsctl.engine import load_settings
    from higgsctl.launch import open_engine
    from tests.fakes.telegram_emulator import TelegramEmulator

    async with TelegramEmulator(token=TOKEN) as emu:
        settings = load_settings()
        settings = replace(settings, telegram=replace(settings.telegram, token=TOKEN, api_base_url=emu.url,
                                                      broadcast_rate=args.rate))
        users = range(10_000, 10_000 + args.users)
        async with open_engine(settings) as engine:
            for uid in users:
                emu.user(uid, f"U{uid}").blocked = uid % 10 == 0
                engine.users.register(uid)
            app = await start_bot(settings, engine)
            try:
                report = engine.broadcasts.create(TEXT, "all", actor="bench")
                bid = report.broadcast.id
                while engine.broadcasts.report(bid).broadcast.status != "done":
                    await asyncio.sleep(0.05)
            finally:
                await stop_bot(app)
            final = engine.broadcasts.report(bid)
            from higgsctl.engine.models import BroadcastRecipient

            arrivals = sorted(r.sent_at.timestamp() for r in BroadcastRecipient.select().where(
                (BroadcastRecipient.broadcast == bid) & (BroadcastRecipient.state == "sent")))
        per_user = Counter(uid for uid in users for m in emu.messages(uid) if m.text == TEXT)
    return {"report": final, "arrivals": arrivals, "twice": sum(n > 1 for n in per_user.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0, help="[telegram] broadcast_rate")
    args = parser.parse_args()
    os.environ["HIGGSCTL_HOME"] = tempfile.mkdtemp(prefix="higgsctl-broadcast-")
    started = time.perf_counter()
    out = asyncio.run(run(args))
    counts, arrivals = out["report"].counts, out["arrivals"]
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    print(f"users                {args.users} ({args.users // 10} blocked the bot)")
    print(f"report               sent {counts['sent']}, blocked {counts['blocked']}, failed {counts['failed']}, "
          f"unknown {counts['unknown']}")
    twice = out["twice"]
    print(f"nobody twice         {'yes' if twice == 0 else f'NO: {twice} users got it twice'}")
    print(f"pacing               {len(arrivals) / span if span else 0:.1f} messages/s accepted by Telegram "
          f"(broadcast_rate {args.rate:g}; Telegram allows ~30/s for a bot)")
    print(f"time to everyone     {span:.1f} s ({time.perf_counter() - started:.1f} s with start-up)")


if __name__ == "__main__":
    main()
