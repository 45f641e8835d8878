"""The running bot tells its admins (and its log) what needs them."""

from higgsctl.bot import alerts as bot_alerts

from .harness import ADMIN, Running, configure, eventually


async def test_admins_hear_of_a_rejected_key_once(settings, emu, caplog):
    admin = emu.user(ADMIN, "Admin")
    bot = await Running(configure(settings, emu)).start()
    try:
        engine = bot.engine
        engine.users.register(5)
        g = engine.generations.rows.hold(5, 1, model="nano-banana", prompt="p", aspect_ratio="1:1")
        engine.generations.finish(g.id, "failed", error="403", error_code="service_auth")
        assert not bot.app.bot_data[bot_alerts.TASK].done()  # the watcher runs; drive one check by hand:
        await bot_alerts.tell(bot.app, engine, await engine.run_db(engine.alerts.due))
        await eventually(lambda: any("refuses the API key" in (m.text or "") for m in admin.messages()))
        await bot_alerts.tell(bot.app, engine, await engine.run_db(engine.alerts.due))
        assert sum("refuses the API key" in (m.text or "") for m in admin.messages()) == 1
        assert "ALERT account" in caplog.text
    finally:
        await bot.stop()


async def test_a_restart_with_jobs_to_resume_is_said(settings, emu):
    admin = emu.user(ADMIN, "Admin")
    bot = await Running(configure(settings, emu)).start()
    engine = bot.engine
    engine.users.register(5)
    engine.generations.rows.hold(5, 1, model="nano-banana", prompt="p", aspect_ratio="1:1", source="bot")
    await bot.stop()
    bot = await Running(configure(settings, emu)).start()
    try:
        await eventually(lambda: any("restarted and resumed 1" in (m.text or "") for m in admin.messages()))
    finally:
        await bot.stop()
