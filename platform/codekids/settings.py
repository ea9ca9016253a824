"""Settings: the one place that reads the environment.

Every setting has a typed default; `create_app(config)` applies overrides on top
(the tests pass theirs this way). No other module reads `os.environ`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEFAULT_EXERCISES_PATH = Path(__file__).resolve().parents[2] / "exercises"


class SettingsError(Exception):
    """A setting has a value the site cannot use; the message names it."""


@dataclass
class Settings:
    database_url: str = ""
    secret_key: str = ""
    idle_logout_minutes: int = 20
    # Guessing limits (accounts/service.py, README "Lockouts"). Children's secrets are
    # small (504 picture sequences), so guessing is counted per browser (device cookie):
    # wrong tries for one account from one browser, and from one browser for any account,
    # lock that browser; only many more, from browsers the account never used, lock the
    # account everywhere else.
    lockout_minutes: int = 15
    account_device_max_failures: int = 5
    device_max_failures: int = 10
    child_max_failures: int = 50
    # Browsers that send no device cookie: one "anonymous" device per address.
    anonymous_max_failures: int = 5
    # After this many wrong tries from one browser, each next try waits
    # device_slow_seconds × (tries so far − device_slow_after + 1) seconds.
    device_slow_after: int = 3
    device_slow_seconds: int = 5
    # Staff: per username (known or not) from untrusted browsers, and per address.
    staff_max_failures: int = 20
    staff_address_max_failures: int = 30
    # Club codes typed wrong, per browser and per address, before the code form says "wait".
    club_code_device_max_failures: int = 10
    club_code_max_failures: int = 20
    club_code_minutes: int = 10
    invitation_days: int = 7
    session_cookie_secure: bool = False
    trusted_proxies: int = 0
    default_locale: str = "ro"
    # Every time a page shows is in this zone (an IANA name); stored times stay UTC.
    time_zone: str = "Europe/Bucharest"
    serve_host: str = "127.0.0.1"
    serve_port: int = 5000
    serve_workers: int = 2
    # Pooled database connections per web process (PostgreSQL); 0: as many as the
    # process has threads under `codekids serve`, else SQLAlchemy's default of 5.
    db_pool_size: int = 0
    # Log lines: "json" (one object a line, for a log collector) or "text" (for a
    # person at a terminal). Empty: json under `codekids serve`, text elsewhere.
    log_format: str = ""
    log_level: str = "INFO"
    # Strict-Transport-Security max-age, sent only on HTTPS requests; 0 turns it off.
    hsts_seconds: int = 31536000
    # Argon2 cost; tests lower it so a suite of logins stays quick.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # The exercise bank's folder; empty means the repository's exercises/.
    exercises_path: str = ""
    # The counter: free coding earns at most this many lines per project per day.
    counter_playground_daily_cap: int = 200
    # The librarian's grid: a child is "stuck" on an exercise after this many failed
    # submissions in a row, or after trying it this many minutes without a pass.
    stuck_failed_streak: int = 3
    stuck_minutes: int = 20
    # A club laptop set up with `codekids sync setup` sends its counted work to the
    # national server this often (seconds), and backs off while offline (sync/box.py).
    sync_interval: int = 300
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("CODEKIDS_DATABASE_URL", ""),
            secret_key=os.environ.get("CODEKIDS_SECRET_KEY", ""),
            idle_logout_minutes=_env_int("CODEKIDS_IDLE_LOGOUT_MINUTES", 20),
            lockout_minutes=_env_int("CODEKIDS_LOCKOUT_MINUTES", 15),
            account_device_max_failures=_env_int("CODEKIDS_ACCOUNT_DEVICE_MAX_FAILURES", 5),
            device_max_failures=_env_int("CODEKIDS_DEVICE_MAX_FAILURES", 10),
            child_max_failures=_env_int("CODEKIDS_CHILD_MAX_FAILURES", 50),
            anonymous_max_failures=_env_int("CODEKIDS_ANONYMOUS_MAX_FAILURES", 5),
            device_slow_after=_env_int("CODEKIDS_DEVICE_SLOW_AFTER", 3),
            device_slow_seconds=_env_int("CODEKIDS_DEVICE_SLOW_SECONDS", 5),
            staff_max_failures=_env_int("CODEKIDS_STAFF_MAX_FAILURES", 20),
            staff_address_max_failures=_env_int("CODEKIDS_STAFF_ADDRESS_MAX_FAILURES", 30),
            club_code_device_max_failures=_env_int("CODEKIDS_CLUB_CODE_DEVICE_MAX_FAILURES", 10),
            club_code_max_failures=_env_int("CODEKIDS_CLUB_CODE_MAX_FAILURES", 20),
            club_code_minutes=_env_int("CODEKIDS_CLUB_CODE_MINUTES", 10),
            invitation_days=_env_int("CODEKIDS_INVITATION_DAYS", 7),
            session_cookie_secure=_env_bool("CODEKIDS_SECURE_COOKIES", False),
            trusted_proxies=_env_int("CODEKIDS_TRUSTED_PROXIES", 0),
            default_locale=os.environ.get("CODEKIDS_DEFAULT_LOCALE", "ro"),
            time_zone=os.environ.get("CODEKIDS_TIME_ZONE", "").strip() or "Europe/Bucharest",
            serve_host=os.environ.get("CODEKIDS_HOST", "127.0.0.1"),
            serve_port=_env_int("CODEKIDS_PORT", 5000),
            serve_workers=_env_int("CODEKIDS_WORKERS", 2),
            db_pool_size=_env_int("CODEKIDS_DB_POOL_SIZE", 0),
            log_format=os.environ.get("CODEKIDS_LOG_FORMAT", "").strip().lower(),
            log_level=os.environ.get("CODEKIDS_LOG_LEVEL", "INFO").strip().upper() or "INFO",
            hsts_seconds=_env_int("CODEKIDS_HSTS_SECONDS", 31536000),
            exercises_path=os.environ.get("CODEKIDS_EXERCISES_PATH", ""),
            counter_playground_daily_cap=_env_int("CODEKIDS_COUNTER_PLAYGROUND_DAILY_CAP", 200),
            stuck_failed_streak=_env_int("CODEKIDS_STUCK_FAILED_STREAK", 3),
            stuck_minutes=_env_int("CODEKIDS_STUCK_MINUTES", 20),
            sync_interval=_env_int("CODEKIDS_SYNC_INTERVAL", 300),
        )

    def apply(self, overrides: dict) -> None:
        names = {f.name for f in fields(self)}
        for key, value in overrides.items():
            lowered = key.lower()
            if lowered in names:
                setattr(self, lowered, value)
            else:
                self.extra[key] = value

    def resolve(self, instance_path: Path) -> None:
        """Fill the defaults that live in the instance folder."""
        instance_path.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.database_url = f"sqlite:///{instance_path / 'codekids.sqlite3'}"
        if not self.secret_key:
            self.secret_key = load_or_create_secret_key(instance_path / "secret_key")
        if not self.exercises_path:
            self.exercises_path = str(DEFAULT_EXERCISES_PATH)
        for name in _GUESSING_LIMITS:
            if getattr(self, name) < 1:
                raise SettingsError(f"CODEKIDS_{name.upper()} must be 1 or more")
        if self.device_slow_seconds < 0:
            raise SettingsError("CODEKIDS_DEVICE_SLOW_SECONDS must be 0 (no waiting) or more")
        if self.db_pool_size < 0:
            raise SettingsError("CODEKIDS_DB_POOL_SIZE must be 0 (automatic) or more")
        if self.default_locale not in ("ro", "en", "hu"):
            raise SettingsError("CODEKIDS_DEFAULT_LOCALE must be one of ro, en, hu")
        if not _known_time_zone(self.time_zone):
            raise SettingsError(f"CODEKIDS_TIME_ZONE must be a time zone name such as "
                                f"Europe/Bucharest, not {self.time_zone!r}")
        if self.sync_interval < 10:
            raise SettingsError("CODEKIDS_SYNC_INTERVAL must be 10 seconds or more")
        if self.log_format not in ("", "json", "text"):
            raise SettingsError("CODEKIDS_LOG_FORMAT must be json or text")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("CODEKIDS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")


def _known_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):  # ValueError: a path such as "../x"
        return False
    return True


_GUESSING_LIMITS = (
    "lockout_minutes",
    "account_device_max_failures",
    "device_max_failures",
    "child_max_failures",
    "anonymous_max_failures",
    "device_slow_after",
    "staff_max_failures",
    "staff_address_max_failures",
    "club_code_device_max_failures",
    "club_code_max_failures",
    "club_code_minutes",
)


def load_or_create_secret_key(path: Path) -> str:
    """Generated once, kept beside the database with owner-only permissions, never printed."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    # O_EXCL + 0600 from the start: the key is never world-readable, not even briefly.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
