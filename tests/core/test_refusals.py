"""One refusal contract: every refusal is a ``Refused`` with a stable code, and the form helper
shows any of them."""

import ast
import re
from pathlib import Path

import pytest
from django import forms

from pulje.core.errors import Refused
from pulje.core.forms import add_service_error

SOURCE = Path(__file__).resolve().parents[2] / "src" / "pulje"
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text()) for path in sorted(SOURCE.rglob("*.py"))}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _refusal_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """``Refused`` and every class in src/ that derives from it, however indirectly."""
    bases = {
        node.name: {_name(base) for base in node.bases}
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    found = {"Refused"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


def test_every_refusal_type_derives_from_refused() -> None:
    assert _refusal_classes(_trees()) >= {
        "Refused",
        "ApplicationRefused",
        "DecisionRefused",
        "AssessmentRefused",
        "AllocationRefused",
        "JobRefused",
        "LedgerError",
        "MembershipRefused",
        "ImportRefused",
        "ImportFileError",
    }


def test_every_refusal_raised_in_src_carries_a_snake_case_code() -> None:
    trees = _trees()
    classes = _refusal_classes(trees)
    raised, problems = 0, []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if _name(node.exc.func) not in classes:
                continue
            raised += 1
            where = f"{path.relative_to(SOURCE)}:{node.lineno}"
            code = next((k.value for k in node.exc.keywords if k.arg == "code"), None)
            if code is None:
                problems.append(f"{where}: no code")
            elif isinstance(code, ast.Constant) and not (
                isinstance(code.value, str) and SNAKE_CASE.fullmatch(code.value)
            ):
                problems.append(f"{where}: code {code.value!r} is not snake_case")
            elif not isinstance(code, ast.Constant | ast.Attribute | ast.Subscript):
                # Passing a refusal on (``code=refusal.code``) or naming it from a table
                # (``codes[violation]``) keeps it stable; building one does not.
                problems.append(f"{where}: code is computed")
    assert problems == []
    assert raised > 100


def test_a_refusal_needs_a_code() -> None:
    with pytest.raises(TypeError):
        Refused("Nej.")  # type: ignore[call-arg]


class _Form(forms.Form):
    amount = forms.IntegerField()
    note = forms.CharField()


@pytest.mark.parametrize(
    ("refusal", "field", "shown_on"),
    [
        (Refused("For meget.", code="over_budget", field="amount"), None, "amount"),
        (Refused("For meget.", code="over_budget", field="amount"), "note", "amount"),
        (Refused("For meget.", code="over_budget"), "note", "note"),
        (Refused("For meget.", code="over_budget"), None, "__all__"),
        (Refused("For meget.", code="over_budget", field="elsewhere"), None, "__all__"),
    ],
)
def test_the_form_shows_a_refusal_on_its_field_or_at_the_top(
    refusal: Refused, field: str | None, shown_on: str
) -> None:
    form = _Form(data={"amount": "1", "note": "x"})
    assert form.is_valid()
    add_service_error(form, refusal, field=field)
    assert form.errors == {shown_on: ["For meget."]}


def test_the_form_shows_a_validation_error_on_the_fields_it_names() -> None:
    form = _Form(data={"amount": "1", "note": "x"})
    assert form.is_valid()
    add_service_error(form, forms.ValidationError({"note": "Skriv mere.", "other": "Nej."}))
    assert form.errors == {"note": ["Skriv mere."], "__all__": ["Nej."]}
