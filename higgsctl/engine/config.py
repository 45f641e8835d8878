"""Settings: a TOML file, environment overrides, and defaults — validated once, at start-up.

The config lives in the platformdirs user config dir and all data under the user data dir;
``HIGGSCTL_HOME`` relocates both. Every problem is reported as one ConfigError that names
the key and the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import ModelSpec, default_catalog, parse_catalog
from .packs import PaymentSettings, parse_payments
from .styles import StyleSpec, default_styles, parse_styles
from .errors import ConfigError

APP_NAME = "higgsctl"
DEFAULT_BASE_URL = "https://platform.higgsfield.ai"
SANDBOX_KEY = ("sandbox", "sandbox-secret")
PILLOW_MEGAPIXELS = 89  # Pillow's own decompression-bomb limit (MAX_IMAGE_PIXELS, ~89.5 million)


@dataclass(frozen=True)
class HiggsfieldSettings:
    base_url: str = DEFAULT_BASE_URL
    api_key: str = ""
    api_secret: str = ""
    max_concurrent: int = 4
    max_running_per_user: int = 0
    request_timeout: float = 30.0
    generation_timeout: float = 300.0
    poll_initial: float = 2.0
    poll_max: float = 10.0
    poll_factor: float = 1.5
    max_retry_after: float = 60.0
    max_download_mb: int = 64
    result_deadline_hours: float = 48.0
    # Push instead of poll: Higgsfield POSTs to webhook_url when a request ends (hf_webhook),
    # signed the Standard Webhooks way with webhook_secret ("whsec_..."; two, space-separated,
    # while a rotation is under way). The receiver listens on webhook_listen:webhook_port
    # (behind your HTTPS proxy); jobs then poll only every webhook_poll seconds, as a safety net.
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8081
    webhook_poll: float = 30.0
    # Several processes on one database: a process renews its jobs' leases every third of
    # this; when it dies, another takes its jobs over once this many seconds have passed.
    lease_seconds: float = 20.0

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self.api_secret)


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    admin_ids: tuple[int, ...] = ()
    api_base_url: str = "https://api.telegram.org"
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = ""
    broadcast_rate: float = 20.0  # broadcast messages a second (Telegram's limit is ~30 for the whole bot)
    allow_paid_broadcasts: bool = False  # let a broadcast opt in to allow_paid_broadcast (Telegram charges Stars)


@dataclass(frozen=True)
class CreditSettings:
    initial: int = 10000
    topup_amount: int = 2500


@dataclass(frozen=True)
class LimitSettings:
    max_prompt_chars: int = 2000
    max_reference_mb: int = 10
    max_reference_megapixels: int = 50


@dataclass(frozen=True)
class AlertSettings:
    enabled: bool = True
    every_minutes: float = 60.0  # an alert of one kind at most this often
    failure_rate: float = 0.5  # alert when this share of the last `window` generations failed
    window: int = 20
    topup_minutes: float = 30.0  # alert when a top-up request waits longer


@dataclass(frozen=True)
class ObservabilitySettings:
    metrics_port: int = 0  # serve /metrics, /healthz, /readyz here (0: off); HIGGSCTL_METRICS_PORT overrides
    metrics_host: str = "127.0.0.1"  # HIGGSCTL_METRICS_HOST overrides
    json_logs: bool = False  # one JSON object per log line (for log shippers)
    # Errors (ERROR log lines, crashes) to Sentry, redacted like the logs; HIGGSCTL_SENTRY_DSN overrides
    sentry_dsn: str = ""
    sentry_environment: str = ""  # empty: Sentry's default ("production")
    sentry_traces_sample_rate: float = 0.0  # share of operations traced (0: errors only)


@dataclass(frozen=True)
class Settings:
    config_path: Path
    data_dir: Path
    database_url: str
    storage_path: Path
    storage_url: str = ""  # s3://bucket/prefix: results and references shared through a bucket
    log_level: str = "INFO"
    higgsfield: HiggsfieldSettings = HiggsfieldSettings()
    telegram: TelegramSettings = TelegramSettings()
    credits: CreditSettings = CreditSettings()
    limits: LimitSettings = LimitSettings()
    alerts: AlertSettings = AlertSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    models: dict[str, ModelSpec] = field(default_factory=default_catalog)
    styles: dict[str, StyleSpec] = field(default_factory=default_styles)
    payments: PaymentSettings = PaymentSettings()

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def model(self, key: str) -> ModelSpec:
        from .errors import InvalidInput

        try:
            return self.models[key]
        except KeyError:
            raise InvalidInput(
                f"Unknown model {key!r}.", hint=f"Choose one of: {', '.join(self.models)}.",
                code="unknown_model", model=key,
            ) from None

    def style(self, name: str) -> StyleSpec:
        from .errors import InvalidInput

        try:
            return self.styles[name]
        except KeyError:
            raise InvalidInput(
                f"Unknown style {name!r}.", hint=f"Choose one of: {', '.join(self.styles) or 'none are configured'}.",
                code="unknown_style", style=name,
            ) from None


# --- locations -------------------------------------------------------------------------

def config_dir() -> Path:
    home = os.environ.get("HIGGSCTL_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def data_dir() -> Path:
    home = os.environ.get("HIGGSCTL_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def config_path() -> Path:
    return config_dir() / "config.toml"


# --- loading ---------------------------------------------------------------------------

_SECTIONS: dict[str, type] = {
    "higgsfield": HiggsfieldSettings,
    "telegram": TelegramSettings,
    "credits": CreditSettings,
    "limits": LimitSettings,
    "alerts": AlertSettings,
    "observability": ObservabilitySettings,
}
_TOP_LEVEL = {"database", "storage", "logging", "models", "styles", "payments", *_SECTIONS}


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (missing is fine: defaults), apply env overrides, validate."""
    path = path or config_path()
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}).", hint="Fix the syntax or run `higgsctl config init`.") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                              "is it a binary file?", hint="Fix it or run `higgsctl config init --force`.") from None
        except OSError as exc:
            raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    return build_settings(raw, path)


def build_settings(raw: dict[str, Any], path: Path) -> Settings:
    unknown = set(raw) - _TOP_LEVEL
    if unknown:
        raise ConfigError(f"{path}: unknown section [{sorted(unknown)[0]}].", hint=f"Known sections: {', '.join(sorted(_TOP_LEVEL))}.")
    sections = {name: _section(raw, name, cls, path) for name, cls in _SECTIONS.items()}
    sections["higgsfield"] = _higgsfield_env(sections["higgsfield"])
    port = os.environ.get("HIGGSCTL_METRICS_PORT")
    if port:
        if not port.isdigit():
            raise ConfigError(f"HIGGSCTL_METRICS_PORT must be a port number, not {port!r}.")
        sections["observability"] = _replace(sections["observability"], metrics_port=int(port))
    if os.environ.get("HIGGSCTL_METRICS_HOST"):  # 0.0.0.0 in a container, for Prometheus next to it
        sections["observability"] = _replace(sections["observability"], metrics_host=os.environ["HIGGSCTL_METRICS_HOST"])
    if os.environ.get("HIGGSCTL_SENTRY_DSN"):
        sections["observability"] = _replace(sections["observability"], sentry_dsn=os.environ["HIGGSCTL_SENTRY_DSN"])
    token = os.environ.get("HIGGSCTL_TELEGRAM_TOKEN")
    if token:
        sections["telegram"] = _replace(sections["telegram"], token=token)

    ddir = data_dir()
    database = _table(raw, "database", path)
    storage = _table(raw, "storage", path)
    logging_ = _table(raw, "logging", path)
    _only_keys(database, {"url"}, "database", path)
    _only_keys(storage, {"path", "url"}, "storage", path)
    _only_keys(logging_, {"level"}, "logging", path)
    db_url = os.environ.get("HIGGSCTL_DATABASE_URL") or _typed(database, "url", str, "database", path, sqlite_url(ddir / "higgsctl.db"))
    storage_path = Path(_typed(storage, "path", str, "storage", path, str(ddir / "storage"))).expanduser()
    storage_url = os.environ.get("HIGGSCTL_STORAGE_URL") or _typed(storage, "url", str, "storage", path, "")
    if storage_url and not storage_url.startswith("s3://"):
        raise ConfigError(f"{path}: [storage] url must be s3://bucket/prefix, not {storage_url!r}.")
    level = _typed(logging_, "level", str, "logging", path, "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{path}: [logging] level must be DEBUG, INFO, WARNING or ERROR, not {level!r}.")

    models = parse_catalog(raw.get("models"), path) if "models" in raw else default_catalog()
    styles = parse_styles(raw["styles"], path, models) if "styles" in raw else default_styles()
    payments = parse_payments(raw["payments"], path) if "payments" in raw else PaymentSettings()
    settings = Settings(
        config_path=path, data_dir=ddir, database_url=db_url, storage_path=storage_path, storage_url=storage_url,
        log_level=level, models=models, styles=styles, payments=payments, **sections,
    )
    _check_ranges(settings, path)
    return settings


def _higgsfield_env(hf: HiggsfieldSettings) -> HiggsfieldSettings:
    """The official SDK's variables: HF_KEY="id:secret" first, else HF_API_KEY + HF_API_SECRET."""
    hf_key = os.environ.get("HF_KEY")
    if hf_key and ":" in hf_key:
        key, secret = hf_key.split(":", 1)
        hf = _replace(hf, api_key=key, api_secret=secret)
    elif os.environ.get("HF_API_KEY") and os.environ.get("HF_API_SECRET"):
        hf = _replace(hf, api_key=os.environ["HF_API_KEY"], api_secret=os.environ["HF_API_SECRET"])
    if os.environ.get("HIGGSCTL_BASE_URL"):
        hf = _replace(hf, base_url=os.environ["HIGGSCTL_BASE_URL"])
    return hf


def _check_ranges(s: Settings, path: Path) -> None:
    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise ConfigError(f"{path}: {key} {what}.")

    need(s.higgsfield.base_url.startswith(("http://", "https://")), "[higgsfield] base_url", "must start with http:// or https://")
    need(s.telegram.api_base_url.startswith(("http://", "https://")), "[telegram] api_base_url", "must start with http:// or https://")
    need(s.higgsfield.max_concurrent >= 1, "[higgsfield] max_concurrent", "must be at least 1")
    need(s.higgsfield.max_running_per_user >= 0, "[higgsfield] max_running_per_user", "must not be negative (0: no limit)")
    need(s.higgsfield.generation_timeout > 0, "[higgsfield] generation_timeout", "must be positive")
    need(0 < s.higgsfield.poll_initial <= s.higgsfield.poll_max, "[higgsfield] poll_initial", "must be positive and at most poll_max")
    need(s.higgsfield.poll_factor >= 1, "[higgsfield] poll_factor", "must be at least 1")
    need(s.higgsfield.max_retry_after >= 0, "[higgsfield] max_retry_after", "must not be negative")
    need(s.higgsfield.result_deadline_hours > 0, "[higgsfield] result_deadline_hours", "must be positive")
    need(not s.higgsfield.webhook_url or s.higgsfield.webhook_url.startswith(("http://", "https://")),
         "[higgsfield] webhook_url", "must start with https:// (Higgsfield calls it from the internet)")
    need(not s.higgsfield.webhook_url or bool(s.higgsfield.webhook_secret.split()), "[higgsfield] webhook_secret",
         "must be set when webhook_url is (the whsec_... secret from Higgsfield's console): unsigned webhooks are refused")
    need(s.higgsfield.lease_seconds >= 3, "[higgsfield] lease_seconds", "must be at least 3")
    need(s.higgsfield.webhook_poll > 0, "[higgsfield] webhook_poll", "must be positive")
    need(s.higgsfield.max_download_mb >= 1, "[higgsfield] max_download_mb", "must be at least 1")
    need(s.credits.initial >= 0, "[credits] initial", "must not be negative")
    need(s.credits.topup_amount > 0, "[credits] topup_amount", "must be positive")
    need(s.limits.max_prompt_chars > 0, "[limits] max_prompt_chars", "must be positive")
    need(s.limits.max_reference_mb > 0, "[limits] max_reference_mb", "must be positive")
    need(0 < s.limits.max_reference_megapixels <= PILLOW_MEGAPIXELS, "[limits] max_reference_megapixels",
         f"must be between 1 and {PILLOW_MEGAPIXELS}")
    need(0 < s.telegram.broadcast_rate <= 1000, "[telegram] broadcast_rate", "must be above 0 and at most 1000")
    need(0 <= s.observability.metrics_port <= 65535, "[observability] metrics_port", "must be 0 (off) or a port")
    need(not s.observability.sentry_dsn or _is_dsn(s.observability.sentry_dsn), "[observability] sentry_dsn",
         "must be a DSN from Sentry's project settings (https://KEY@HOST/PROJECT)")
    need(0 <= s.observability.sentry_traces_sample_rate <= 1, "[observability] sentry_traces_sample_rate",
         "must be between 0 and 1")
    need(s.alerts.every_minutes > 0, "[alerts] every_minutes", "must be positive")
    need(0 < s.alerts.failure_rate <= 1, "[alerts] failure_rate", "must be above 0 and at most 1")
    need(s.alerts.window >= 1, "[alerts] window", "must be at least 1")
    need(s.alerts.topup_minutes > 0, "[alerts] topup_minutes", "must be positive")
    need(s.telegram.mode in {"polling", "webhook"}, "[telegram] mode", "must be 'polling' or 'webhook'")
    need(s.database_url.split(":", 1)[0] in _DB_SCHEMES, "[database] url", f"has an unknown scheme (use one of {', '.join(sorted(_DB_SCHEMES))})")


def _is_dsn(dsn: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(dsn)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.username and parts.hostname and parts.path.strip("/"))


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file. ``%``, ``?`` and ``#`` in a folder name (HIGGSCTL_HOME) are
    escaped: unescaped, a URL parser reads them as an escape, a query or a fragment, and the
    database lands at another path."""
    escaped = str(path).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    return f"sqlite:///{escaped}"


_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "postgresext", "postgresqlext", "psycopg3", "mysql"}


def _section(raw: dict, name: str, cls: type, path: Path):
    table = _table(raw, name, path)
    defaults = cls()
    allowed = set(cls.__dataclass_fields__)
    _only_keys(table, allowed, name, path)
    values = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        values[key] = _coerce(value, default, f"[{name}] {key}", path)
    return cls(**values)


def _coerce(value: Any, default: Any, label: str, path: Path) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        kind = "a list of integers" if isinstance(default, tuple) else type(default).__name__
        raise ConfigError(f"{path}: {label} must be {_article(kind)}, got {value!r}.")
    return value


def _article(kind: str) -> str:
    names = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}
    return names.get(kind, kind)


def _table(raw: dict, name: str, path: Path) -> dict:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table ([{name}]).")
    return table


def _only_keys(table: dict, allowed: set[str], name: str, path: Path) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{path}: unknown key [{name}] {key}.", hint=f"Known keys: {', '.join(sorted(allowed))}.")


def _typed(table: dict, key: str, kind: type, name: str, path: Path, default: Any) -> Any:
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{path}: [{name}] {key} must be {_article(kind.__name__)}, got {value!r}.")
    return value


def _replace(obj, **changes):
    from dataclasses import replace

    return replace(obj, **changes)
