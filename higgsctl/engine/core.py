"""The Engine: one object that holds every service a face needs."""

from __future__ import annotations

from typing import Callable, TypeVar

from .audit import Audit
from .config import Settings
from .credits import Credits
from .alerts import Alerts
from .broadcasts import Broadcasts
from .business import Business
from .db import DatabaseDoor, open_database
from .drafts import Drafts
from .exports import Exports
from .generations import Generations
from .higgsfield import HiggsfieldClient, RetryPolicy
from .heartbeat import Heartbeats
from .history import History
from .preferences import Preferences
from .promos import Promos
from .object_store import ObjectStore
from .payments import Payments
from .redaction import Redactor
from .storage import FileStore
from .topups import TopUps
from .users import Users

T = TypeVar("T")


class Engine:
    """Open with ``Engine(settings)``; close with ``await engine.aclose()`` (or ``close()``
    from synchronous code that never generated)."""

    def __init__(self, settings: Settings, *, transport=None) -> None:
        self.settings = settings
        self.redactor = Redactor.from_settings(settings)  # for every error text a face shows
        self.db = open_database(settings.database_url)
        self.door = DatabaseDoor(self.db)  # every face's and job's database work: ``run_db``
        self.store = FileStore(settings.storage_path, ObjectStore(settings.storage_url) if settings.storage_url else None)
        self.users = Users(settings.credits.initial)
        self.preferences = Preferences(settings.models)
        self.credits = Credits()
        self.topups = TopUps(self.credits, settings.credits.topup_amount)
        self.promos = Promos(self.credits)
        self.history = History()
        self.heartbeats = Heartbeats()
        self.business = Business(self.heartbeats)
        self.broadcasts = Broadcasts(self.store)
        self.alerts = Alerts(settings.alerts)
        self.drafts = Drafts(self.store)
        self.audit = Audit()
        self.exports = Exports(self.audit)
        self.payments = Payments(self.door.run)
        self.generations = Generations(settings, self.credits, self.store, lambda: self._client(transport),
                                       self.door.run)

    async def run_db(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """Run synchronous database work (any engine service method) off the event loop."""
        return await self.door.run(fn, *args, **kwargs)

    async def read_db(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """``run_db`` for a call that only reads (see DatabaseDoor.read)."""
        return await self.door.read(fn, *args, **kwargs)

    def _client(self, transport) -> HiggsfieldClient:
        hf = self.settings.higgsfield
        if not hf.has_credentials:
            from .errors import ConfigError

            raise ConfigError(
                f"No Higgsfield key: set [higgsfield] api_key and api_secret in {self.settings.config_path}.",
                hint="Or set HF_KEY=id:secret, or use --sandbox to try without keys.",
            )
        return HiggsfieldClient(hf.base_url, hf.api_key, hf.api_secret, timeout=hf.request_timeout,
                                retry=RetryPolicy(max_retry_after=hf.max_retry_after), transport=transport)

    async def aclose(self) -> None:
        await self.generations.aclose()
        self.close()

    def close(self) -> None:
        self.door.close()
        if not self.db.is_closed():
            self.db.close()

    async def __aenter__(self) -> "Engine":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
