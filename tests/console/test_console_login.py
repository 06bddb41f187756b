"""Login, lockout per username, logout and password change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from testigo.core import auth, roles
from testigo.core.models import LoginThrottle
from testigo.core.signals import staff_password_changed, staff_password_verified

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
LOGIN = "/console/login/"


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def post_login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    staff_password_verified.connect(receiver, weak=False)
    staff_password_changed.connect(receiver, weak=False)
    yield calls
    staff_password_verified.disconnect(receiver)
    staff_password_changed.disconnect(receiver)


def test_login_url_names():
    assert reverse("console:login") == LOGIN
    assert reverse("console:inbox") == "/console/"


def test_correct_password_logs_in_and_sends_password_verified(english, moderator, received):
    response = post_login(english, moderator.username)
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert english.get("/console/").status_code == 200
    assert received == [{"signal": staff_password_verified, "request": received[0]["request"],
                         "user": moderator, "password": PASSWORD}]


def test_login_redirects_to_safe_next_only(english, moderator):
    response = post_login(english, moderator.username, next="/console/audit/")
    assert response["Location"] == "/console/audit/"
    english.logout()
    response = post_login(english, moderator.username, next="https://evil.example/")
    assert response["Location"] == "/console/"


def test_wrong_password_is_refused_with_a_message(english, moderator, received):
    response = post_login(english, moderator.username, "wrong password")
    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    assert "_auth_user_id" not in english.session
    assert received == []
    assert LoginThrottle.objects.get(username=moderator.username).failures == 1


def test_five_failures_lock_the_username_even_with_the_right_password(english, moderator, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(english, moderator.username, "wrong password")
    response = post_login(english, moderator.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in english.session


def test_lockout_message_is_the_same_for_an_unknown_username(english, moderator, settings):
    for name in (moderator.username, "nobody-here"):
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            post_login(english, name, "wrong password")
    known = post_login(english, moderator.username, "x")
    unknown = post_login(english, "nobody-here", "x")
    assert known.status_code == unknown.status_code == 429
    known, unknown = (without_csrf(r.content.decode()) for r in (known, unknown))
    with translation.override("en"):
        assert auth.locked_message() in known
    assert known.replace(moderator.username, "U") == unknown.replace("nobody-here", "U")


def test_four_failures_do_not_lock(english, moderator, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        post_login(english, moderator.username, "wrong password")
    assert post_login(english, moderator.username).status_code == 302


def test_lockout_expires_after_the_configured_minutes(english, moderator, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(english, moderator.username, "wrong password")
    throttle = LoginThrottle.objects.get(username=moderator.username)
    assert throttle.locked_until > timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES - 1)
    LoginThrottle.objects.filter(pk=throttle.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert post_login(english, moderator.username).status_code == 302


def test_after_an_expired_lock_the_counter_starts_again(moderator, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        auth.record_failure(username="someone")
    LoginThrottle.objects.filter(username="someone").update(locked_until=timezone.now() - timedelta(seconds=1))
    assert auth.record_failure(username="someone") is False
    auth.check_not_locked(username="someone")  # one failure after expiry does not lock again


def test_lockout_ignores_the_case_of_the_username(settings):
    for name in ["Ana", "ANA", "ana", "aNa", "anA"][: settings.LOGIN_FAILURE_LIMIT]:
        auth.record_failure(username=name)
    with pytest.raises(auth.LoginLocked):
        auth.check_not_locked(username="ana")


def test_old_failures_are_forgotten(settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        auth.record_failure(username="typo")
    LoginThrottle.objects.filter(username="typo").update(
        updated_at=timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1))
    assert auth.record_failure(username="typo") is False
    assert LoginThrottle.objects.get(username="typo").failures == 1


def test_successful_login_resets_the_counter(english, moderator, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        post_login(english, moderator.username, "wrong password")
    assert post_login(english, moderator.username).status_code == 302
    assert not LoginThrottle.objects.filter(username=moderator.username).exists()


def test_lockout_limits_come_from_settings(english, moderator, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        post_login(english, moderator.username, "wrong password")
    assert post_login(english, moderator.username).status_code == 429


def test_user_without_role_cannot_log_in(english, db):
    get_user_model().objects.create_user(username="citizen", password=PASSWORD)
    response = post_login(english, "citizen")
    assert response.status_code == 200
    assert "_auth_user_id" not in english.session


def test_deactivated_staff_cannot_log_in(english, moderator):
    moderator.is_active = False
    moderator.save()
    post_login(english, moderator.username)
    assert "_auth_user_id" not in english.session


def test_superuser_without_role_can_log_in(english, db):
    get_user_model().objects.create_superuser(username="root", password=PASSWORD)
    assert post_login(english, "root").status_code == 302


def test_logout_needs_post_and_ends_the_session(english, moderator):
    english.force_login(moderator)
    assert english.get("/console/logout/").status_code == 405
    english.post("/console/logout/")
    assert english.get("/console/").status_code == 302


def test_password_change_keeps_the_session_and_sends_the_signal(client_as, received):
    client = client_as(roles.MODERATOR)
    new = "another long passphrase 42"
    response = client.post("/console/password/", {"old_password": PASSWORD, "new_password1": new,
                                                   "new_password2": new})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200  # still logged in
    user = get_user_model().objects.get(pk=client.user.pk)
    assert user.check_password(new)
    assert received[-1]["old_password"] == PASSWORD and received[-1]["new_password"] == new
    assert received[-1]["user"] == user


def test_password_change_with_wrong_old_password_changes_nothing(client_as, received):
    client = client_as(roles.MODERATOR)
    response = client.post("/console/password/", {"old_password": "nope", "new_password1": "another long pass 42",
                                                   "new_password2": "another long pass 42"})
    assert response.status_code == 200
    assert get_user_model().objects.get(pk=client.user.pk).check_password(PASSWORD)
    assert received == []
