"""PostgreSQL's LISTEN/NOTIFY: a process hears at once what another one did on the database
(an account slot freed, a webhook written down) instead of at its next look.

``notify`` runs inside the writer's transaction, so the news goes out with the commit and
never before it (on SQLite it does nothing). ``Listener`` keeps one extra connection per
process, in autocommit, read on the event loop when the socket has data (``add_reader``): no
thread, no poll. The looks stay, slower, on both databases: they are the net under a
notification lost with a dropped connection, which is reopened after ``RETRY`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from .db import is_sqlite
from .models import database

log = logging.getLogger("higgsctl.db")
SLOTS = "higgsctl_slots"  # an account slot was freed
WEBHOOKS = "higgsctl_webhooks"  # a webhook was written down; the payload is its request id
RETRY = 5.0
CONNECT_KEYS = ("database", "user", "password", "host", "port", "sslmode", "connect_timeout")


def notify(channel: str, payload: str = "") -> None:
    db = database.obj
    if not is_sqlite(db):
        db.execute_sql("SELECT pg_notify(%s, %s)", (channel, payload))


class Listener:
    def __init__(self, url: str, handlers: dict[str, Callable[[str], None]]) -> None:
        self.url, self.handlers = url, handlers
        self._conn = None
        self._fd = -1
        self._retry: asyncio.TimerHandle | None = None
        self._stopped = False

    @property
    def listening(self) -> bool:
        return self._conn is not None

    async def start(self) -> None:
        import psycopg2
        from playhouse.db_url import parse

        params = {k: v for k, v in parse(self.url).items() if k in CONNECT_KEYS}
        try:
            conn = await asyncio.to_thread(psycopg2.connect, **params)
            conn.autocommit = True
            with conn.cursor() as cursor:
                for channel in self.handlers:
                    cursor.execute(f'LISTEN "{channel}"')
        except psycopg2.Error as exc:
            log.warning("cannot listen for other processes' news (%s); looking every so often instead",
                        str(exc).strip())
            self._again()
            return
        if self._stopped:
            conn.close()
            return
        self._conn, self._fd = conn, conn.fileno()
        asyncio.get_running_loop().add_reader(self._fd, self._ready)

    def _ready(self) -> None:
        import psycopg2

        conn = self._conn
        try:
            conn.poll()
        except psycopg2.Error as exc:
            log.warning("lost the connection that listens for other processes' news: %s", str(exc).strip())
            self._close()
            self._again()
            return
        while conn.notifies:
            note = conn.notifies.pop(0)
            handler = self.handlers.get(note.channel)
            if handler is not None:
                handler(note.payload)

    def _again(self) -> None:
        if not self._stopped:
            loop = asyncio.get_running_loop()
            self._retry = loop.call_later(RETRY, lambda: loop.create_task(self.start()))

    def _close(self) -> None:
        if self._conn is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
        self._close()
