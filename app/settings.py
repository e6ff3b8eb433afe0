"""Service settings: one frozen object, built once from the environment.

This module is the only reader of ``os.environ`` in the application. Everything else receives a
:class:`Settings`. :func:`from_environ` takes any mapping (tests pass a dict) and checks every
variable, collecting all problems so that start-up fails once with one line per problem.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

PREFIX = "COVERHUB_"

T = TypeVar("T")


class SettingsError(Exception):
    """Invalid settings; ``problems`` has one human line per bad variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("./coverhub-data")
    database_url: str = field(default="", repr=False)  # may hold a password; filled when unset
    redis_url: str | None = field(default=None, repr=False)
    storage_url: str = ""  # filled from data_dir when unset
    s3_endpoint_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    reports_url: str | None = None
    github_api_url: str = "https://api.github.com"
    github_app_id: int | None = None
    github_private_key: str | None = field(default=None, repr=False)
    github_webhook_secret: str | None = field(default=None, repr=False)
    github_client_id: str | None = None
    github_client_secret: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    # operations
    log_level: str = "INFO"
    log_format: str = "json"  # json | text
    job_timeout: float = 600.0  # seconds a job may run before the sweeper takes it back
    job_max_attempts: int = 5
    sweep_interval: float = 30.0  # seconds between sweeps (lost jobs, stuck check runs)
    #: a check run coverhub opened as pending and that is still pending after this many minutes
    #: is completed as timed out by the sweeper (app.services.github_sweeper)
    check_timeout_minutes: int = 60
    worker_concurrency: int = 4
    shutdown_grace: float = 30.0  # seconds to finish in-flight jobs on shutdown

    @property
    def github_enabled(self) -> bool:
        return self.github_app_id is not None and self.github_private_key is not None

    @property
    def embedded(self) -> bool:
        """True when nothing but the local machine is needed (SQLite, folder, in-process)."""
        return (
            self.database_url.startswith("sqlite")
            and self.redis_url is None
            and self.storage_url.startswith("file:")
        )

    def describe(self) -> dict[str, str]:
        """Settings safe to print (no secrets; credentials in URLs masked)."""
        return {
            "data_dir": str(self.data_dir),
            "database": _mask(self.database_url),
            "cache_and_queue": _mask(self.redis_url) if self.redis_url else "in-process",
            "storage": self.storage_url,
            "s3_endpoint": self.s3_endpoint_url or "-",
            "public_url": self.public_url,
            "github": (
                f"app {self.github_app_id} at {self.github_api_url}"
                if self.github_enabled
                else "off (COVERHUB_GITHUB_APP_ID and a private key not set)"
            ),
        }


def _mask(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


class _Reader:
    """Reads and checks variables one by one, collecting problems instead of stopping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        value = self.environ.get(PREFIX + name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            self.problems.append(f"{PREFIX}{name}={value!r}: {exc}")
            return default


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not number > 0 or number != number or number == float("inf"):
        raise ValueError("must be a positive number of seconds")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if number < 1:
        raise ValueError("must be at least 1")
    return number


#: a week: a pending check nobody hears about for that long is not a gate anyone waits on
MAX_CHECK_TIMEOUT_MINUTES = 7 * 24 * 60


def _minutes(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("must be a whole number of minutes") from None
    if not 1 <= number <= MAX_CHECK_TIMEOUT_MINUTES:
        raise ValueError(f"must be between 1 and {MAX_CHECK_TIMEOUT_MINUTES} minutes (a week)")
    return number


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        rest = value.split("://", 1)[1] if "://" in value else ""
        if not rest or (rest.startswith("/") and len(rest) == 1):
            raise ValueError("a postgresql:// URL needs a host or a database")
        return "postgresql+psycopg://" + rest
    if scheme == "sqlite":
        return value
    raise ValueError("must start with postgresql:// or sqlite:///")


def _redis_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise ValueError("must be a redis://HOST[:PORT][/DB] URL")
    if parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise ValueError("the path must be a database number, like redis://host:6379/0")
    return value


def _storage_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("an s3:// URL needs a bucket: s3://BUCKET[/PREFIX]")
        return value
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError("a file:// URL needs a path: file:///var/lib/coverhub/reports")
        return value
    raise ValueError("must be s3://BUCKET[/PREFIX] or file:///PATH")


def _app_id(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError("must be the numeric GitHub App id")
    return int(value)


def _pem(value: str) -> str:
    text = value.replace("\\n", "\n")
    if "-----BEGIN" not in text or "PRIVATE KEY-----" not in text:
        raise ValueError("must be a PEM private key (-----BEGIN RSA PRIVATE KEY----- ...)")
    return text


def _choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.lower() if options[0].islower() else value.upper()
        if lowered not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return lowered

    return parse


def from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment); raise SettingsError."""
    env = os.environ if environ is None else environ
    r = _Reader(env)
    data_dir = Path(r.raw("DATA_DIR") or "./coverhub-data").expanduser()
    database_url = r.get("DATABASE_URL", _database_url, "")
    if not database_url:
        database_url = f"sqlite:///{(data_dir / 'coverhub.sqlite3').absolute()}"
    storage_url = r.get("STORAGE_URL", _storage_url, "")
    if not storage_url:
        storage_url = (data_dir / "reports").absolute().as_uri()
    s3_endpoint = r.get("S3_ENDPOINT_URL", _http_url, None)
    if s3_endpoint and not storage_url.startswith("s3:"):
        r.problems.append(
            f"{PREFIX}S3_ENDPOINT_URL is set but {PREFIX}STORAGE_URL is not an s3:// URL"
        )

    private_key = r.get("GITHUB_PRIVATE_KEY", _pem, None)
    key_file = r.raw("GITHUB_PRIVATE_KEY_FILE")
    if key_file:
        if private_key:
            r.problems.append(
                f"{PREFIX}GITHUB_PRIVATE_KEY and {PREFIX}GITHUB_PRIVATE_KEY_FILE are both set;"
                " set one"
            )
        else:
            try:
                private_key = _pem(Path(key_file).read_text(encoding="utf-8"))
            except OSError as exc:
                r.problems.append(
                    f"{PREFIX}GITHUB_PRIVATE_KEY_FILE={key_file!r}: cannot read: {exc.strerror}"
                )
            except (ValueError, UnicodeDecodeError) as exc:
                r.problems.append(f"{PREFIX}GITHUB_PRIVATE_KEY_FILE={key_file!r}: {exc}")
    app_id = r.get("GITHUB_APP_ID", _app_id, None)
    if (app_id is None) != (private_key is None) and not r.problems:
        missing = "GITHUB_PRIVATE_KEY (or _FILE)" if app_id is not None else "GITHUB_APP_ID"
        r.problems.append(f"{PREFIX}{missing} is needed too: the GitHub App needs both")
    webhook_secret = r.raw("GITHUB_WEBHOOK_SECRET")
    if app_id is not None and private_key is not None and not webhook_secret:
        r.problems.append(
            f"{PREFIX}GITHUB_WEBHOOK_SECRET is needed when the GitHub App is configured"
        )
    client_id = r.raw("GITHUB_CLIENT_ID")
    client_secret = r.raw("GITHUB_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        r.problems.append(
            f"{PREFIX}GITHUB_CLIENT_ID and {PREFIX}GITHUB_CLIENT_SECRET go together; set both"
        )
    secret_key = r.raw("SECRET_KEY")
    if secret_key is not None and len(secret_key) < 32:
        r.problems.append(f"{PREFIX}SECRET_KEY: must be at least 32 characters")

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=r.get("REDIS_URL", _redis_url, None),
        storage_url=storage_url,
        s3_endpoint_url=s3_endpoint,
        public_url=r.get("PUBLIC_URL", _http_url, "http://127.0.0.1:8000"),
        reports_url=r.get("REPORTS_URL", _http_url, None),
        github_api_url=r.get("GITHUB_API_URL", _http_url, "https://api.github.com"),
        github_app_id=app_id,
        github_private_key=private_key,
        github_webhook_secret=webhook_secret,
        github_client_id=client_id,
        github_client_secret=client_secret,
        secret_key=secret_key,
        log_level=r.get("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
        log_format=r.get("LOG_FORMAT", _choice("json", "text"), "json"),
        job_timeout=r.get("JOB_TIMEOUT", _positive_float, 600.0),
        job_max_attempts=r.get("JOB_MAX_ATTEMPTS", _positive_int, 5),
        sweep_interval=r.get("SWEEP_INTERVAL", _positive_float, 30.0),
        check_timeout_minutes=r.get("CHECK_TIMEOUT_MINUTES", _minutes, 60),
        worker_concurrency=r.get("WORKER_CONCURRENCY", _positive_int, 4),
        shutdown_grace=r.get("SHUTDOWN_GRACE", _positive_float, 30.0),
    )
    unknown = sorted(
        k for k in env if k.startswith(PREFIX) and k[len(PREFIX) :] not in KNOWN | CLIENT_SIDE
    )
    for name in unknown:
        r.problems.append(f"{name}: unknown setting (known: see README, 'Settings')")
    if r.problems:
        raise SettingsError(r.problems)
    return settings


#: Every variable this module reads, without the prefix.
KNOWN = frozenset(
    {
        "DATA_DIR",
        "DATABASE_URL",
        "REDIS_URL",
        "STORAGE_URL",
        "S3_ENDPOINT_URL",
        "PUBLIC_URL",
        "REPORTS_URL",
        "GITHUB_API_URL",
        "GITHUB_APP_ID",
        "GITHUB_PRIVATE_KEY",
        "GITHUB_PRIVATE_KEY_FILE",
        "GITHUB_WEBHOOK_SECRET",
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "SECRET_KEY",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "JOB_TIMEOUT",
        "JOB_MAX_ATTEMPTS",
        "SWEEP_INTERVAL",
        "CHECK_TIMEOUT_MINUTES",
        "WORKER_CONCURRENCY",
        "SHUTDOWN_GRACE",
    }
)
#: variables of coverhub's client side: known (not typos), but not settings of the server
CLIENT_SIDE = frozenset(
    {
        "RUNTIME_COVERAGE",  # read by app.pycover inside an instrumented service
        "UPLOAD_TOKEN",  # read by `coverhub upload` in CI
    }
)
