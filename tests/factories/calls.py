"""When the calls of tests/calls open and close: the 2020 round, Danish time."""

import datetime as dt

from tests.factories import COPENHAGEN

OPENS = dt.datetime(2021, 1, 4, 10, 0, tzinfo=COPENHAGEN)
DEADLINE = dt.datetime(2021, 2, 5, 12, 0, tzinfo=COPENHAGEN)
