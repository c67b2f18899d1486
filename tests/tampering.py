"""Raw writes that go around pulje's guards, to prove that its checks catch them."""

from collections.abc import Sequence

from django.db import connection


def tamper(sql: str, params: Sequence[str | int] = ()) -> None:
    """Run raw SQL against an append-only table as a database superuser could: on PostgreSQL
    with triggers switched off for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
