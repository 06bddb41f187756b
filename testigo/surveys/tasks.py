"""Huey jobs: thin wrappers over services."""

from huey.contrib.djhuey import db_task


@db_task()
def run_import_task(import_id: int) -> None:
    from testigo.surveys import importing

    importing.run(import_id=import_id)
