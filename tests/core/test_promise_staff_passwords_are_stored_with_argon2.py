"""Staff passwords are stored with Argon2. The test suite hashes its throwaway users with MD5 for
speed (tests/conftest.py); that shortcut must never reach the settings a deployment runs with."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password

from testigo.core import roles

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_settings_hash_with_argon2_first():
    production = importlib.import_module("testigo.settings")  # the module, not the test overrides
    assert production.PASSWORD_HASHERS[0] == ARGON2
    assert not any("MD5" in name for name in production.PASSWORD_HASHERS)


@pytest.mark.real_hasher
def test_a_staff_password_is_stored_as_argon2_and_logs_in(make_user, client):
    assert settings.PASSWORD_HASHERS[0] == ARGON2
    user = make_user(roles.MODERATOR, username="lucia")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("correct horse battery") and not user.check_password("wrong horse battery")
    response = client.post("/console/login/", {"username": "lucia", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200


def test_other_tests_hash_their_users_cheaply():
    """The suite's speed rests on this: tests whose subject is not hashing use the fast hasher."""
    assert identify_hasher(make_password("correct horse battery")).algorithm == "md5"
