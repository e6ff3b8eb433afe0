"""Settings: defaults, every invalid value refused with one clear line, all problems at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.settings import KNOWN, Settings, SettingsError, from_environ

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as info:
        from_environ(env)
    return info.value.problems


def test_defaults_are_embedded(tmp_path: Path) -> None:
    s = from_environ({"COVERHUB_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path.absolute()}/coverhub.sqlite3"
    assert s.storage_url == (tmp_path / "reports").absolute().as_uri()
    assert s.redis_url is None
    assert s.embedded
    assert not s.github_enabled
    assert s.public_url == "http://127.0.0.1:8000"
    assert s.github_api_url == "https://api.github.com"


def test_settings_are_frozen() -> None:
    s = from_environ({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.redis_url = "redis://x"  # type: ignore[misc]


def test_production_values() -> None:
    s = from_environ(
        {
            "COVERHUB_DATABASE_URL": "postgresql://u:secret@db:5432/coverhub",
            "COVERHUB_REDIS_URL": "redis://cache:6379/2",
            "COVERHUB_STORAGE_URL": "s3://reports/coverhub",
            "COVERHUB_S3_ENDPOINT_URL": "http://127.0.0.1:9000/",
            "COVERHUB_GITHUB_APP_ID": "1234",
            "COVERHUB_GITHUB_PRIVATE_KEY": PEM.replace("\n", "\\n"),
            "COVERHUB_GITHUB_WEBHOOK_SECRET": "shh",
            "COVERHUB_JOB_TIMEOUT": "2.5",
        }
    )
    assert s.database_url == "postgresql+psycopg://u:secret@db:5432/coverhub"
    assert s.s3_endpoint_url == "http://127.0.0.1:9000"
    assert s.github_private_key == PEM
    assert s.github_enabled and not s.embedded
    assert s.job_timeout == 2.5
    # secrets never appear in what is printed
    shown = str(s.describe()) + repr(s)
    assert "secret" not in shown.replace("secret_key", "") and "shh" not in shown
    assert "MIIB" not in shown


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://x/y", "must start with postgresql:// or sqlite:///"),
        ("DATABASE_URL", "postgresql://", "needs a host or a database"),
        ("REDIS_URL", "http://cache", "must be a redis://"),
        ("REDIS_URL", "redis://cache/abc", "database number"),
        ("STORAGE_URL", "ftp://x", "must be s3://BUCKET[/PREFIX] or file:///PATH"),
        ("STORAGE_URL", "s3://", "needs a bucket"),
        ("PUBLIC_URL", "127.0.0.1:8000", "http:// or https:// URL"),
        ("REPORTS_URL", "javascript:alert(1)", "http:// or https:// URL"),
        ("GITHUB_API_URL", "ghe.example.com/api/v3", "http:// or https:// URL"),
        ("GITHUB_APP_ID", "abc", "numeric GitHub App id"),
        ("GITHUB_APP_ID", "0", "numeric GitHub App id"),
        ("GITHUB_PRIVATE_KEY", "not a key", "must be a PEM private key"),
        ("SECRET_KEY", "short", "at least 32 characters"),
        ("LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR"),
        ("LOG_FORMAT", "xml", "must be one of json, text"),
        ("JOB_TIMEOUT", "soon", "must be a number of seconds"),
        ("JOB_TIMEOUT", "-1", "must be a positive number of seconds"),
        ("JOB_TIMEOUT", "nan", "must be a positive number of seconds"),
        ("JOB_MAX_ATTEMPTS", "0", "must be at least 1"),
        ("JOB_MAX_ATTEMPTS", "2.5", "must be a whole number"),
        ("SWEEP_INTERVAL", "0", "must be a positive number of seconds"),
        ("WORKER_CONCURRENCY", "many", "must be a whole number"),
        ("SHUTDOWN_GRACE", "-3", "must be a positive number of seconds"),
        ("CHECK_TIMEOUT_MINUTES", "0", "must be between 1 and 10080 minutes"),
        ("CHECK_TIMEOUT_MINUTES", "10081", "must be between 1 and 10080 minutes"),
        ("CHECK_TIMEOUT_MINUTES", "1.5", "must be a whole number of minutes"),
        ("CHECK_TIMEOUT_MINUTES", "1h", "must be a whole number of minutes"),
    ],
)
def test_each_invalid_value_names_variable_and_problem(
    name: str, value: str, expected: str
) -> None:
    [line] = problems({f"COVERHUB_{name}": value})
    assert line.startswith(f"COVERHUB_{name}")
    assert expected in line


def test_every_known_variable_is_covered_by_a_setting() -> None:
    fields = {f.name.upper() for f in dataclasses.fields(Settings)}
    assert {"GITHUB_PRIVATE_KEY_FILE"} | fields >= KNOWN - {"GITHUB_PRIVATE_KEY_FILE"}


def test_unknown_variable_is_a_problem_typo_caught() -> None:
    [line] = problems({"COVERHUB_REDIS_ULR": "redis://x"})
    assert line.startswith("COVERHUB_REDIS_ULR: unknown setting")


def test_all_problems_reported_at_once() -> None:
    lines = problems(
        {
            "COVERHUB_REDIS_URL": "nope",
            "COVERHUB_JOB_TIMEOUT": "x",
            "COVERHUB_STORAGE_URL": "ftp://a",
        }
    )
    assert len(lines) == 3
    assert sorted(line.split("=")[0] for line in lines) == [
        "COVERHUB_JOB_TIMEOUT",
        "COVERHUB_REDIS_URL",
        "COVERHUB_STORAGE_URL",
    ]


def test_s3_endpoint_needs_s3_storage() -> None:
    [line] = problems({"COVERHUB_S3_ENDPOINT_URL": "http://127.0.0.1:9000"})
    assert "COVERHUB_STORAGE_URL is not an s3:// URL" in line


def test_github_app_needs_id_key_and_secret() -> None:
    [line] = problems({"COVERHUB_GITHUB_APP_ID": "5"})
    assert "GITHUB_PRIVATE_KEY (or _FILE) is needed too" in line
    [line] = problems({"COVERHUB_GITHUB_PRIVATE_KEY": PEM})
    assert "COVERHUB_GITHUB_APP_ID is needed too" in line
    [line] = problems({"COVERHUB_GITHUB_APP_ID": "5", "COVERHUB_GITHUB_PRIVATE_KEY": PEM})
    assert "COVERHUB_GITHUB_WEBHOOK_SECRET is needed" in line


def test_private_key_file(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    base = {"COVERHUB_GITHUB_APP_ID": "5", "COVERHUB_GITHUB_WEBHOOK_SECRET": "x"}
    s = from_environ({**base, "COVERHUB_GITHUB_PRIVATE_KEY_FILE": str(key)})
    assert s.github_private_key == PEM
    [line] = problems({**base, "COVERHUB_GITHUB_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})
    assert "missing.pem" in line and "cannot read" in line
    [line] = problems(
        {**base, "COVERHUB_GITHUB_PRIVATE_KEY_FILE": str(key), "COVERHUB_GITHUB_PRIVATE_KEY": PEM}
    )
    assert "both set" in line


def test_oauth_pair_goes_together() -> None:
    [line] = problems({"COVERHUB_GITHUB_CLIENT_ID": "Iv1.abc"})
    assert "go together" in line


def test_blank_values_mean_unset() -> None:
    s = from_environ({"COVERHUB_REDIS_URL": "  ", "COVERHUB_JOB_TIMEOUT": ""})
    assert s.redis_url is None and s.job_timeout == 600.0


def test_check_timeout_minutes_default_and_bounds() -> None:
    assert from_environ({}).check_timeout_minutes == 60
    assert from_environ({"COVERHUB_CHECK_TIMEOUT_MINUTES": " 1 "}).check_timeout_minutes == 1
    week = from_environ({"COVERHUB_CHECK_TIMEOUT_MINUTES": "10080"})
    assert week.check_timeout_minutes == 10080
