"""One deadline for a whole ``solve``: every HiGHS call gets what is left of it.

A solve runs several programmes (the selection, perhaps tightened and solved again, the
selection without the fairness rules for the price of fairness, one per rule to find a
conflict), so a limit on each call would let the whole take a multiple of ``time_limit``.
The clock is passed in, so tests can make time run out where they want it to, and ``stop``
lets a person stop a running solve: it is asked between the steps and while HiGHS searches.
"""

import time
from collections.abc import Callable

Clock = Callable[[], float]
StopRequested = Callable[[], bool]


class Deadline:
    """``seconds`` from now on ``clock``, or sooner if ``stop`` says so."""

    def __init__(
        self, seconds: float, *, clock: Clock = time.monotonic, stop: StopRequested | None = None
    ) -> None:
        self._clock = clock
        self._stop = stop
        self._start = clock()
        self._end = self._start + seconds

    def elapsed(self) -> float:
        return self._clock() - self._start

    def sooner(self, seconds: float) -> "Deadline":
        """This deadline, or ``seconds`` from now if that comes first."""
        deadline = Deadline(seconds, clock=self._clock, stop=self._stop)
        deadline._end = min(deadline._end, self._end)
        return deadline

    def left(self) -> float:
        """The seconds left; 0 when the time is up or a stop was asked for."""
        if self._stop is not None and self._stop():
            return 0.0
        return max(self._end - self._clock(), 0.0)

    @property
    def can_stop(self) -> bool:
        """Whether a person may stop the solve (then HiGHS is asked to look while it works)."""
        return self._stop is not None

    @property
    def passed(self) -> bool:
        return self.left() <= 0.0
