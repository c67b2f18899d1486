"""The JSON reader's plain path (``_plain_candidate``) against the reader that names every
error: for any candidate object, the plain path either gives what the reader gives, or
leaves it to the reader."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulje.allocation.solver.problem import ProblemError
from pulje.allocation.solver.problem_json import _plain_candidate, _Reader, problem_from_json

_texts = st.one_of(st.none(), st.text(max_size=3), st.integers(-5, 5), st.booleans())
_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.sampled_from([2**53, 2**53 + 1, -(2**60), 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.sampled_from(
        ["2026-03-01T10:00:00+01:00", "2026-03-01T10:00:00", "not a time", "2026-13-01"]
    ),
    st.lists(st.one_of(st.text(max_size=2), st.integers(0, 2)), max_size=3),
)
_candidates = st.fixed_dictionaries(
    {},
    optional={
        "id": _texts,
        "score": _values,
        "amount_ore": _values,
        "min_amount_ore": _values,
        "band": _texts,
        "region": _texts,
        "municipality": _texts,
        "organisation": _texts,
        "target_groups": _values,
        "participants": _values,
        "submitted_at": _values,
        "unknown": _values,
    },
)


@settings(max_examples=3000, deadline=None)
@given(data=_candidates)
def test_the_plain_path_reads_a_candidate_as_the_reader_does(data: dict[str, Any]) -> None:
    reader = _Reader()
    careful = reader.candidate(data, 0)
    plain = _plain_candidate(data)
    if plain is not None:
        assert reader.errors == []
        assert plain == careful
    assert (careful is None) == bool(reader.errors)


def test_the_plain_path_takes_the_usual_candidate() -> None:
    data = {
        "id": "A-1",
        "score": 7,
        "amount_ore": 100_000,
        "min_amount_ore": 50_000,
        "band": 1,
        "region": "1081",
        "target_groups": ["children", "children"],
        "participants": 12,
        "submitted_at": "2026-03-01T10:00:00+01:00",
    }
    plain = _plain_candidate(data)
    assert plain is not None
    assert (plain.band, plain.score, plain.target_groups) == ("1", 7.0, ("children",))
    assert plain == _Reader().candidate(data, 0)


def test_a_score_too_large_for_a_float_is_refused_by_name() -> None:
    problem = {"budget_ore": 1, "candidates": [{"id": "a", "amount_ore": 1, "score": 10**400}]}
    with pytest.raises(ProblemError) as refused:
        problem_from_json(problem)
    assert refused.value.errors == [f"Ansøger «a»: «score» er for stort et tal: {'1' + '0' * 36}…."]


def test_an_amount_of_null_is_refused_not_the_candidate_left_out() -> None:
    problem = {"budget_ore": 1, "candidates": [{"id": "a", "amount_ore": None}]}
    with pytest.raises(ProblemError) as refused:
        problem_from_json(problem)
    assert refused.value.errors == [
        "Ansøger «a»: «amount_ore» (det ansøgte beløb i øre) skal angives."
    ]
