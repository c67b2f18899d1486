"""Every URL states who may use it (``pulje.core.access``), and the statement holds."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.views.decorators.http import require_POST

from pulje.core.access import logged_in, public
from tests.factories import UserFactory
from tests.routes import Route, all_routes, undecided

# Later steps of the login flows: without a flow under way they go back to the login page.
FLOW_STEPS = {
    "accounts:confirm_code",
    "account_confirm_login_code",
    "socialaccount_signup",
    "mfa_authenticate",
}
SAMPLE_KWARGS = {
    "int": 1,
    "str": "x",
    "string": "x",
    "slug": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _url(route: Route) -> str:
    assert route.name is not None, f"{route.route} needs a name to be tested"
    kwargs = {
        key: SAMPLE_KWARGS[converter.removesuffix("Converter").lower()]
        for key, converter in route.converters.items()
    }
    return reverse(route.name, kwargs=kwargs)


def test_every_route_states_who_may_use_it() -> None:
    routes = all_routes()

    assert undecided(get_resolver().url_patterns) == []
    # The walk reached into every include, not only the top level.
    assert {route.name for route in routes} >= {
        "core:home",
        "accounts:login",
        "accounts:confirm_code",
        "accounts:password_login",
        "accounts:logout",
        "core:outbox",
        "registry:onboarding",
        "registry:profile",
        "funds:pool_list",
        "funds:pool_detail",
        "funds:sub_pool_create",
        "funds:pool_appropriate",
        "funds:pool_delegate",
        "set_language",
    }
    assert not any(route.route.startswith("admin/") for route in routes)


def test_access_decisions_of_the_knownall_routes() -> None:
    access = {route.name: route.access for route in all_routes()}

    assert {
        name: access[name]
        for name in ["core:home", "accounts:login", "core:outbox", "core:health", "set_language"]
    } == {
        "core:home": "public",
        "accounts:login": "public",
        "core:outbox": "staff_only",
        "core:health": "public",
        "set_language": "public",
    }
    assert {
        name: level for name, level in access.items() if name and name.startswith("registry:")
    } == {
        "registry:mine": "logged_in",
        "registry:onboarding": "logged_in",
        "registry:claim": "logged_in",
        "registry:register": "logged_in",
        "registry:profile": "logged_in",
        "registry:invite": "logged_in",
        "registry:add_department": "logged_in",
        "registry:requests": "logged_in",
        "registry:decide_request": "logged_in",
        "registry:invitation": "public",
        "registry:revoke": "logged_in",
        "registry:send_code": "logged_in",
        "registry:prove_code": "logged_in",
        "registry:remove": "logged_in",
        "registry:role": "logged_in",
        "registry:cvr_lookup": "logged_in",
        "registry:associations": "logged_in",
    }
    assert {
        name: level for name, level in access.items() if name and name.startswith("applications:")
    } == dict.fromkeys(
        (
            "applications:dashboard",
            "applications:start",
            "applications:edit",
            "applications:autosave",
            "applications:check",
            "applications:submit",
            "applications:receipt",
            "applications:attach",
            "applications:attachment",
            "applications:detach",
            "applications:withdraw",
        ),
        "logged_in",
    )
    assert {
        name: level for name, level in access.items() if name and name.startswith("funds:")
    } == {
        "funds:pool_list": "logged_in",
        "funds:pool_detail": "logged_in",
        "funds:sub_pool_create": "logged_in",
        "funds:pool_appropriate": "logged_in",
        "funds:pool_delegate": "logged_in",
        "funds:pool_second_approval": "logged_in",
        "funds:pool_transfer": "logged_in",
    }


def _undecorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@public
def _open(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@require_POST
@logged_in
def _post_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def test_walk_reports_an_undecorated_view_also_inside_an_include() -> None:
    nested: list[URLPattern | URLResolver] = [
        path("open/", _open),
        path("post/", _post_only),
        path("forgotten/<int:pk>/", _undecorated),
    ]
    patterns: list[URLPattern | URLResolver] = [
        path("", _open),
        path("bare/", _undecorated),
        path("inner/", (nested, "inner", "inner")),
    ]

    assert undecided(patterns) == ["bare/", "inner/forgotten/<int:pk>/"]


def test_walk_reports_a_view_with_an_unknown_access_level() -> None:
    def mislabelled(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    mislabelled.access = "everyone"  # type: ignore[attr-defined]

    assert undecided([path("x/", mislabelled)]) == ["x/"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [route for route in all_routes() if route.access in {"logged_in", "staff_only"}],
    ids=lambda route: route.name or route.route,
)
def test_logged_in_routes_send_anonymous_users_to_login(client: Client, route: Route) -> None:
    url = _url(route)

    response = client.get(url)
    if response.status_code == 405:
        # A POST-only view refuses the method first; the POST itself must still ask to log in.
        response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [route for route in all_routes() if route.access == "public" and not route.converters],
    ids=lambda route: route.name or route.route,
)
def test_public_routes_answer_anonymous_users(client: Client, route: Route) -> None:
    response = client.get(_url(route))

    # set_language answers 204 without a page to go back to; logout is POST-only; allauth's
    # page for a failed login with an identity provider answers 401.
    expected = {401} if route.name == "socialaccount_login_error" else {200, 204, 302, 405}
    assert response.status_code in expected
    if response.status_code == 302 and route.name not in FLOW_STEPS:
        assert not response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_admin_sends_anonymous_users_to_the_admin_login(client: Client) -> None:
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


@pytest.mark.django_db
def test_admin_refuses_a_logged_in_user_who_is_not_staff(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
