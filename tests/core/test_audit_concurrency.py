import threading

import pytest
from django.db import connection, connections

from testigo.core import audit
from testigo.core.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_form_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for real concurrent connections (runs in the PostgreSQL pass)")
    errors = []

    def writer(n):
        try:
            for i in range(15):
                audit.record(action="test.concurrent", object_id=f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == 90
    result = audit.verify()
    assert result.ok, result.problems
