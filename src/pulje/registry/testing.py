"""Made-up registry numbers for the demo, the tests and the benchmarks."""

from stdnum.dk import cvr


def fake_cvr(seed: int) -> str:
    """A made-up but valid CVR number: distinct seeds give distinct numbers.

    Each seed owns three 7-digit prefixes and takes the first for which a check digit exists
    (modulus 11 may demand a "10", which no digit can be).
    """
    if not 0 <= seed < 3_000_000:
        raise ValueError("seed must be in 0..2,999,999")
    for prefix in range(1_000_000 + 3 * seed, 1_000_000 + 3 * seed + 3):
        for check in range(10):
            if cvr.is_valid(f"{prefix}{check}"):
                return f"{prefix}{check}"
    raise AssertionError("three consecutive prefixes without a check digit")
