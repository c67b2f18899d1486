"""The allocation solver: plain data in, plain data out, no Django (docs/allocation.md).

``solve(problem)`` runs the problem's method and returns a ``Result`` with every candidate's
outcome and reason; ``problem_from_json``/``result_to_json`` are the documented file format.
"""

from pulje.allocation.solver.apportion import apportion
from pulje.allocation.solver.problem import (
    Apportionment,
    Candidate,
    GroupRule,
    Limit,
    LotteryRule,
    Method,
    Objective,
    OrganisationRule,
    Problem,
    ProblemError,
)
from pulje.allocation.solver.problem_json import problem_from_json, problem_to_json
from pulje.allocation.solver.result import (
    Conflict,
    Outcome,
    PriceOfFairness,
    ReasonCode,
    Result,
    RuleUsage,
    Status,
    result_from_json,
    result_to_json,
)
from pulje.allocation.solver.solve import broken_rules, solve

__all__ = [
    "Apportionment",
    "Candidate",
    "Conflict",
    "GroupRule",
    "Limit",
    "LotteryRule",
    "Method",
    "Objective",
    "OrganisationRule",
    "Outcome",
    "PriceOfFairness",
    "Problem",
    "ProblemError",
    "ReasonCode",
    "Result",
    "RuleUsage",
    "Status",
    "apportion",
    "broken_rules",
    "problem_from_json",
    "problem_to_json",
    "result_from_json",
    "result_to_json",
    "solve",
]
