"""What every handler reaches through ``context.bot_data``: the engine and the bot's helpers.

Only things that live as long as the process are here (tasks, caches, album buffers);
anything that must survive a restart is in the engine's database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar

from higgsctl.engine import Engine, Settings

from .drafts import Drafts

if TYPE_CHECKING:
    from telegram.ext import CallbackContext

    from .delivery import Delivery
    from .notifier import Notifier

KEY = "higgsctl"
T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    engine: Engine
    delivery: "Delivery"
    notifier: "Notifier"
    album_delay: float = 1.0
    # top-up request id -> [(admin chat id, message id)], to show every admin who decided.
    # Lost on restart: stale buttons still work (the decision is in the database).
    topup_messages: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # (user id, media_group_id) -> AlbumBuffer, see handlers/photos.py
    albums: dict[tuple[int, str], Any] = field(default_factory=dict)
    # (user id, chat id) -> Paste: text messages arriving together, see handlers/pastes.py
    pastes: dict[tuple[int, int], Any] = field(default_factory=dict)
    # every user's drafts (in the database), see drafts.py
    drafts: Drafts = field(init=False)

    def __post_init__(self) -> None:
        self.drafts = Drafts(self.engine)
        global _run_db, _read_db
        _run_db, _read_db = self.engine.run_db, self.engine.read_db  # the bot's engine: ``db()`` uses its door

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(self.settings.telegram.admin_ids)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids


def services(context: "CallbackContext") -> Services:
    return context.application.bot_data[KEY]


# The engine's door (Engine.run_db) of the bot this process built last: one bot per process,
# and every engine in it binds the one peewee database anyway.
_run_db: Callable[..., Awaitable[Any]] | None = None
_read_db: Callable[..., Awaitable[Any]] | None = None


async def db(fn: Callable[..., T], *args, **kwargs) -> T:
    """Engine services are synchronous (peewee): run them off the event loop, through the
    engine's one database door."""
    if _run_db is None:
        raise RuntimeError("db() before the bot's Services were built")
    return await _run_db(fn, *args, **kwargs)


async def db_read(fn: Callable[..., T], *args, **kwargs) -> T:
    """``db`` for a call that only reads: on SQLite it does not wait behind the jobs' writes."""
    if _read_db is None:
        raise RuntimeError("db_read() before the bot's Services were built")
    return await _read_db(fn, *args, **kwargs)
