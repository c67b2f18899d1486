import pytest
from stdnum.dk import cvr

from pulje.registry.testing import fake_cvr


def test_fake_cvr_numbers_are_valid_distinct_and_stable() -> None:
    seeds = [*range(0, 3_000_000, 9_973), 2_999_999]

    numbers = [fake_cvr(seed) for seed in seeds]

    assert all(cvr.is_valid(number) for number in numbers)
    assert len(set(numbers)) == len(numbers)
    # The demo's and the factories' numbers, as they have always been.
    assert [fake_cvr(1), fake_cvr(1000), fake_cvr(50_000), fake_cvr(2_999_999)] == [
        "10000033",
        "10030005",
        "11500005",
        "99999977",
    ]


@pytest.mark.parametrize("seed", [-1, 3_000_000])
def test_fake_cvr_refuses_a_seed_out_of_range(seed: int) -> None:
    with pytest.raises(ValueError, match=r"seed must be in 0\.\.2,999,999"):
        fake_cvr(seed)
