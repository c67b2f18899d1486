"""The user's roles for every page's menu (``desk.start.roles_of``), read only when a
template asks: one query on a page for someone logged in, none otherwise."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pulje.accounts.models import User
from pulje.desk.start import Roles, roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    def read() -> Roles:
        user = request.user
        return roles_of(user) if isinstance(user, User) else Roles()

    return {"roles": SimpleLazyObject(read)}
