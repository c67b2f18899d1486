"""The URL patterns walked, with who may use each (``pulje.core.access``)."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ACCESS_LEVELS = {"public", "logged_in", "staff_only"}
# Django admin makes its own decision: every admin view requires an active staff user.
STAFF_ONLY_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    callback: Callable[..., Any]
    converters: dict[str, str]

    @property
    def access(self) -> str | None:
        return getattr(self.callback, "access", None)


def walk(
    patterns: Sequence[URLPattern | URLResolver],
    prefix: str = "",
    namespace: str = "",
) -> Iterator[Route]:
    """Every URL pattern under ``patterns``, through includes, except Django admin's."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in STAFF_ONLY_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            converters = getattr(entry.pattern, "converters", {})
            yield Route(
                route=prefix + str(entry.pattern),
                name=f"{namespace}{entry.name}" if entry.name else None,
                callback=entry.callback,
                converters={key: type(c).__name__ for key, c in converters.items()},
            )


def undecided(patterns: Sequence[URLPattern | URLResolver]) -> list[str]:
    return [route.route for route in walk(patterns) if route.access not in ACCESS_LEVELS]


def all_routes() -> list[Route]:
    """Every route of pulje's URLconf, except Django admin's."""
    return list(walk(get_resolver().url_patterns))
