"""Bot handlers, one module per feature (account, admin, buy, card_edits, errors, jobs, photos,
promo, prompts, refunds, results, settings, start, topup, wizard); ``register_all`` wires them in
order. No feature imports another (an import-linter contract in pyproject.toml): what several
share is in who.py (the user, their draft), guards.py, replies.py, ids.py, menus.py,
pastes.py and cards.py (the confirm card), and starting a generation is ../launch.py."""

from __future__ import annotations

from telegram.ext import Application

from . import account, admin, buy, card_edits, errors, jobs, photos, promo, prompts, refunds, results, settings, start, topup, wizard


def register_all(app: Application, admin_ids: tuple[int, ...]) -> None:
    promo.register(app)  # first: its /start promo-CODE deep link goes before start's menu
    start.register(app)
    settings.register(app)  # before anything that reads typed text: a reply to its zone question
    admin.register(app, admin_ids)
    jobs.register(app)
    prompts.register(app)
    wizard.register(app)
    card_edits.register(app)
    photos.register(app)
    results.register(app)
    account.register(app)
    topup.register(app)
    buy.register(app)
    refunds.register(app, admin_ids)
    start.register_fallbacks(app)  # last: only what nothing above matched
    app.add_error_handler(errors.on_error)
