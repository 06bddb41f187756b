import pytest
from django.db import connection, connections


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """The planner would otherwise JIT-compile the map's index-probe queries: 60-70 ms of compiling
    for a 1 ms query (see testigo.core.db.tune_postgresql)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only setting (runs in the PostgreSQL pass)")
    fresh = connections.create_connection("default")  # a new connection, as a worker opens one
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    finally:
        fresh.close()
