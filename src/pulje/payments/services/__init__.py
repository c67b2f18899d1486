"""Writes of payments: plans and holds (``plans``), the bank profile (``profile``), payment
runs (``runs``)."""
