from __future__ import annotations

import pytest

from testigo.api import services as token_services


@pytest.fixture
def token_for():
    def make(user, scope="read"):
        _token, raw = token_services.create_token(user=user, name="t", scope=scope, actor=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def world(report_factory, admin_user, category):
    """One report in each state that the public must or must not see."""
    from testigo.reports import services

    def published(**kw):
        r = report_factory(**kw)
        services.verify(report=r, actor=admin_user)
        return services.publish(report=r, actor=admin_user)

    return {
        "public": published(title="Robo publicado", lat=14.1234567, lon=-87.2345678),
        "public2": published(title="Otro robo publicado", lat=15.5432198, lon=-88.0123456),
        "new": report_factory(title="Nuevo sin revisar", lat=14.2, lon=-87.1),
        "restricted": _restricted(published, admin_user),
        "confidential": services.update_report(report=report_factory(title="Confidencial", lat=14.0, lon=-87.0),
                                               actor=admin_user, visibility="confidential"),
    }


def _restricted(published, admin_user):
    from testigo.reports import services

    r = published(title="Publicado restringido", lat=14.3, lon=-87.3)
    return services.update_report(report=r, actor=admin_user, visibility="restricted")
