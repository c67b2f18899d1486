from tests.routes import all_routes


def test_access_decisions_of_the_callall_routes() -> None:
    access = {route.name: route.access for route in all_routes()}

    assert {
        name: level for name, level in access.items() if name and name.startswith("calls:")
    } == {
        "calls:list": "public",
        "calls:detail": "public",
        "calls:create": "logged_in",
        "calls:edit": "logged_in",
        "calls:questions": "logged_in",
        "calls:question_remove": "logged_in",
    }
