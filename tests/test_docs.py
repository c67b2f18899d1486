"""The documentation is kept true by tests: the README names every management command and
every page in docs/, and docs/production.md every setting that is read from the environment."""

import ast
import re

from django.conf import settings
from django.core.management import get_commands

README = (settings.PROJECT_DIR / "README.md").read_text()
PRODUCTION = (settings.PROJECT_DIR / "docs" / "production.md").read_text()
SETTINGS_SOURCE = (settings.PROJECT_DIR / "src" / "pulje" / "settings.py").read_text()
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}


def pulje_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app.startswith("pulje.")}


def environment_settings() -> set[str]:
    """The names that settings.py reads with its env_* helpers."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(SETTINGS_SOURCE))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ENV_READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def test_the_readme_lists_every_management_command() -> None:
    commands = pulje_commands()
    assert {"load_demo", "allocate", "lapse_grants"} <= commands
    assert sorted(name for name in commands if not re.search(rf"`{name}[` ]", README)) == []


def test_the_production_docs_list_every_setting_from_the_environment() -> None:
    names = environment_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "MFA_ENCRYPTION_KEY"} <= names
    assert sorted(name for name in names if f"`{name}`" not in PRODUCTION) == []


def test_the_readme_lists_every_page_in_docs() -> None:
    what_is_here = README.split("## What is here", 1)[1]
    pages = sorted(path.name for path in (settings.PROJECT_DIR / "docs").glob("*.md"))
    assert "production.md" in pages
    assert [page for page in pages if f"(docs/{page})" not in what_is_here] == []
