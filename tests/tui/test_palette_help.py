"""The command palette opens a user by @name or id and a generation by #id; ? and F1 show the keys."""

from higgsctl.tui.commands import AdminCommands


async def hits(h, query: str) -> list[str]:
    provider = AdminCommands(h.app.screen)
    return [str(hit.text) async for hit in provider.search(query)]


async def test_the_palette_opens_users_and_generations_directly(tui, seed):
    async with tui() as h:
        assert (await hits(h, "@alice"))[0] == "Open user @alice"
        assert (await hits(h, str(seed.bob)))[0] == "Open user @bob"
        assert (await hits(h, f"#{seed.completed}"))[0] == f"Open generation #{seed.completed}"
        assert not [t for t in await hits(h, "@nobody") if t.startswith("Open user")]
        assert not [t for t in await hits(h, "#999999") if t.startswith("Open generation")]
        assert not [t for t in await hits(h, "@[red]x[/]") if t.startswith("Open")]


async def test_question_mark_and_f1_show_and_hide_the_keys(tui, seed):
    async with tui() as h:
        await h.press("question_mark")
        assert h.app.screen.query("HelpPanel")
        await h.press("f1")
        assert not h.app.screen.query("HelpPanel")
