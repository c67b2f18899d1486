"""Apportionment: split a whole number of units among regions in proportion to weights.

Two methods a public body can explain: the largest remainder (Hare quota) and Sainte-Laguë
(divisors 1, 3, 5, …, as in the Danish Folketing's distribution of compensatory seats), in
exact arithmetic. Ties go to the key that sorts first, so the result never depends on
dictionary order or on rounding.
"""

import heapq
import math
from collections.abc import Mapping
from fractions import Fraction

from pulje.allocation.solver.problem import Apportionment


def apportion(weights: Mapping[str, float], units: int, method: Apportionment) -> dict[str, int]:
    """``units`` split among the keys of ``weights``; keys with weight 0 get nothing. Every
    quota, remainder and quotient is an exact fraction of the weights (each float taken at
    its exact value), so a tie is a true tie and goes to the key that sorts first.

    >>> apportion({"a": 5, "b": 3, "c": 2}, 7, Apportionment.SAINTE_LAGUE)
    {'a': 4, 'b': 2, 'c': 1}
    """
    if units < 0:
        raise ValueError("units must not be negative")
    if any(weight < 0 or not math.isfinite(weight) for weight in weights.values()):
        raise ValueError("weights must be finite and not negative")
    keys = sorted(key for key, weight in weights.items() if weight > 0)
    result = dict.fromkeys(sorted(weights), 0)
    if not keys or units == 0:
        return result
    exact = {key: Fraction(weights[key]) for key in keys}
    total = sum(exact.values(), Fraction(0))
    if method == Apportionment.LARGEST_REMAINDER:
        result.update(_largest_remainder(exact, units, total))
    else:
        result.update(_sainte_lague(exact, units, total))
    return result


def _largest_remainder(weights: dict[str, Fraction], units: int, total: Fraction) -> dict[str, int]:
    quotas = {key: units * weight / total for key, weight in weights.items()}
    seats = {key: math.floor(quota) for key, quota in quotas.items()}
    left = units - sum(seats.values())
    by_remainder = sorted(weights, key=lambda key: (-(quotas[key] - seats[key]), key))
    for key in by_remainder[:left]:
        seats[key] += 1
    return seats


def _sainte_lague(weights: dict[str, Fraction], units: int, total: Fraction) -> dict[str, int]:
    # Awarding seats one by one to the highest quotient w / (2s + 1) takes the ``units``
    # largest quotients; starting from a lower bound of every key's seats takes the same
    # ones and needs only about as many steps as there are keys, however many units there are.
    # With the final divisor d, seats s ≥ w/d − 1/2 and units ≤ W/d + k/2, so
    # s ≥ w (units − k/2) / W − 1/2.
    count = len(weights)
    seats = {
        key: max(0, math.floor(weight * (units - Fraction(count, 2)) / total - Fraction(1, 2)))
        for key, weight in weights.items()
    }
    heap = [(-weight / (2 * seats[key] + 1), key) for key, weight in weights.items()]
    heapq.heapify(heap)
    for _ in range(units - sum(seats.values())):
        _quotient, key = heapq.heappop(heap)
        seats[key] += 1
        heapq.heappush(heap, (-weights[key] / (2 * seats[key] + 1), key))
    return seats
