"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when the Makefile points
TESTIGO_DATABASE_URL at TESTIGO_TEST_POSTGRES_URL."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from testigo.core import roles


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _immediate_jobs():
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture
def make_user(db):
    def make(role: str, username: str | None = None, password: str = "correct horse battery"):
        user = get_user_model().objects.create_user(username=username or f"{role}-user", password=password)
        roles.set_role(user, role)
        return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(roles.ADMIN)


@pytest.fixture
def moderator(make_user):
    return make_user(roles.MODERATOR)


@pytest.fixture
def category(db):
    from testigo.reports.models import Category

    parent = Category.objects.create(slug="delitos", name_es="Delitos", name_en="Crime")
    return Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery", parent=parent)


@pytest.fixture
def report_factory(db, category):
    from testigo.reports import services

    def make(**kwargs):
        defaults = dict(title="Asalto en la parada", description="Dos hombres armados asaltaron el bus.",
                        lat=14.0723, lon=-87.1921, place_name="Colonia Kennedy, Tegucigalpa",
                        reporter_name="María", reporter_contact="+504 9999-0000", categories=[category])
        defaults.update(kwargs)
        return services.create_report(**defaults)

    return make


@pytest.fixture
def published_report(report_factory, admin_user):
    from testigo.reports import services

    report = report_factory()
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)
