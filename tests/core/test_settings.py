import pytest
from django.core.exceptions import ImproperlyConfigured

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
