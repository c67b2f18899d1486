import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import pulje.settings
from pulje.settings import cache_from_url, env_bool, env_int, env_list, env_str


def test_env_helpers_read_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULJE_T_BOOL", "Yes")
    monkeypatch.setenv("PULJE_T_INT", "42")
    monkeypatch.setenv("PULJE_T_LIST", " a.dk, b.dk ,,")
    assert env_bool("PULJE_T_BOOL") is True
    assert env_int("PULJE_T_INT", 0) == 42
    assert env_list("PULJE_T_LIST") == ["a.dk", "b.dk"]
    assert env_str("PULJE_T_MISSING", "default") == "default"
    assert env_bool("PULJE_T_MISSING", default=True) is True


@pytest.mark.parametrize(
    ("name", "value", "read", "message"),
    [
        (
            "PULJE_T",
            "maybe",
            env_bool,
            "PULJE_T='maybe' is not a boolean (use 1/0, true/false, yes/no).",
        ),
        ("PULJE_T", "4 2", lambda n: env_int(n, 0), "PULJE_T='4 2' is not a whole number."),
    ],
)
def test_env_helpers_fail_loudly_on_bad_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: object, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as error:
        read(name)  # type: ignore[operator]
    assert str(error.value) == message


def test_a_required_setting_that_is_missing_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULJE_T_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured) as error:
        env_str("PULJE_T_REQUIRED")
    assert str(error.value) == "The environment variable PULJE_T_REQUIRED must be set."


@pytest.mark.parametrize(
    ("url", "cache"),
    [
        (
            "redis://cache:6379/0",
            {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://cache:6379/0",
            },
        ),
        (
            "rediss://user:secret@cache:6380/1",
            {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "rediss://user:secret@cache:6380/1",
            },
        ),
        ("locmem://", {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": ""}),
    ],
)
def test_cache_url_chooses_the_cache(url: str, cache: dict[str, str]) -> None:
    assert cache_from_url(url) == cache


def test_a_cache_url_of_another_kind_stops_start_up() -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        cache_from_url("memcached://cache:11211")
    assert str(error.value) == (
        "CACHE_URL='memcached://cache:11211' is neither redis://… nor locmem://…."
    )


# What production sets (docs/production.md), and nothing else: DEBUG is off.
PRODUCTION_ENV = {
    "SECRET_KEY": "k3Y-" + "x7Qp9vL2mZ8wR4tB6nC1sD5fG0hJ3kA" * 2,
    "ALLOWED_HOSTS": "pulje.example.dk",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_HOST": "smtp.example.dk",
}
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def production_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The settings module run afresh in a production environment changed by ``env``
    (a value of "" removes the variable)."""
    for name in ("DEBUG", "EMAIL_BACKEND", "ALLOW_LOCAL_EMAIL", "ALLOW_LOCAL_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PRODUCTION_ENV, **env}.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(Path(pulje.settings.__file__)))


def test_production_sends_mail_by_smtp_over_https_only(monkeypatch: pytest.MonkeyPatch) -> None:
    found = production_settings(monkeypatch)

    assert found["DEBUG"] is False
    assert found["EMAIL_BACKEND"] == SMTP
    assert found["EMAIL_TIMEOUT"] == 30
    assert found["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert (found["SECURE_SSL_REDIRECT"], found["SECURE_REDIRECT_EXEMPT"]) == (
        True,
        [r"^sundhed/$"],
    )
    assert found["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert (found["SECURE_HSTS_INCLUDE_SUBDOMAINS"], found["SECURE_HSTS_PRELOAD"]) == (True, True)
    assert (found["SESSION_COOKIE_SECURE"], found["CSRF_COOKIE_SECURE"]) == (True, True)
    assert found["CSRF_FAILURE_VIEW"] == "pulje.core.views.csrf_failure"


def test_https_settings_can_be_changed_for_a_proxy_that_redirects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = production_settings(
        monkeypatch,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="0",
    )

    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 3600
    assert (found["SECURE_HSTS_INCLUDE_SUBDOMAINS"], found["SECURE_HSTS_PRELOAD"]) == (False, False)


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "pulje.core.mail.OutboxBackend",
    ],
)
def test_production_refuses_mail_that_stays_on_the_server(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        production_settings(monkeypatch, EMAIL_BACKEND=backend)

    assert str(error.value) == (
        f"EMAIL_BACKEND={backend} keeps mail on this server, so login codes would end in its "
        "logs, files or database: send mail by SMTP (the default without DEBUG: set EMAIL_HOST "
        "and its login), or set ALLOW_LOCAL_EMAIL=1 on a server nobody logs in to for real."
    )
    allowed = production_settings(monkeypatch, EMAIL_BACKEND=backend, ALLOW_LOCAL_EMAIL="1")
    assert allowed["EMAIL_BACKEND"] == backend


@pytest.mark.parametrize("url", ["", "locmem://"])
def test_production_refuses_a_cache_of_one_process(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        production_settings(monkeypatch, CACHE_URL=url)

    assert str(error.value) == (
        "CACHE_URL is a cache of one process (locmem://), so each worker would count the login "
        "rate limits on its own: set CACHE_URL=redis://… (a Redis all workers share), or "
        "ALLOW_LOCAL_CACHE=1 if only one process serves pulje."
    )
    allowed = production_settings(monkeypatch, CACHE_URL=url, ALLOW_LOCAL_CACHE="1")
    assert (
        allowed["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    )


def test_development_keeps_the_outbox_and_a_local_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    found = production_settings(monkeypatch, DEBUG="1", CACHE_URL="", EMAIL_HOST="")

    assert found["EMAIL_BACKEND"] == "pulje.core.mail.OutboxBackend"
    assert found["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert (found["SECURE_SSL_REDIRECT"], found["SECURE_HSTS_SECONDS"]) == (False, 0)


def test_check_deploy_passes_in_a_production_environment(tmp_path: Path) -> None:
    # A clean environment, as a server has it: nothing of the developer's or the test run's.
    env = {
        "PATH": os.environ["PATH"],
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pulje.sqlite3'}",
    }

    finished = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == "System check identified no issues (0 silenced).\n"
