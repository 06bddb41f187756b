"""The job queue: SqliteHuey by default, RedisHuey when TESTIGO_QUEUE_URL is redis://."""

import os
import subprocess
import sys
import uuid

import pytest


def _settings_huey(env):
    code = "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','testigo.settings');django.setup();" \
           "from huey.contrib.djhuey import HUEY;print(type(HUEY).__name__)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.slow
def test_queue_backend_is_chosen_by_the_queue_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")} | {"TESTIGO_DATA_DIR": str(tmp_path)}
    assert _settings_huey(env) == "SqliteHuey"
    assert _settings_huey(env | {"TESTIGO_QUEUE_URL": "redis://127.0.0.1:6379/15"}) == "OncePerPeriodRedisHuey"


@pytest.mark.slow
@pytest.mark.services
def test_a_job_round_trips_through_a_real_redis_worker(tmp_path):
    url = os.environ.get("TESTIGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"TESTIGO_REQUIRE_SERVICES=1 but Redis is not reachable at {url}")
        pytest.skip(f"Redis not reachable at {url}; set TESTIGO_TEST_REDIS_URL to run the RedisHuey test")
    name = f"testigo-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"TESTIGO_DATA_DIR": str(tmp_path), "TESTIGO_QUEUE_URL": url, "TESTIGO_QUEUE_NAME": name}
    subprocess.run([sys.executable, "-m", "testigo.cli", "migrate"], env=env, check=True, capture_output=True)
    setup = "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','testigo.settings');django.setup();"
    enqueue = setup + "from testigo.core.tasks import ping;print(ping('hola').id)"
    task_id = subprocess.run([sys.executable, "-c", enqueue], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
    client = redis.Redis.from_url(url)
    assert client.llen(f"huey.redis.{name.replace('-', '')}") + client.llen(f"huey.redis.{name}") == 1
    worker = subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        fetch = setup + f"from huey.contrib.djhuey import HUEY;print(HUEY.result({task_id!r}, blocking=True, timeout=30))"
        result = subprocess.run([sys.executable, "-c", fetch], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "hola"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        for key in client.keys(f"huey.*{name.replace('-', '')}*") + client.keys(f"huey.*{name}*"):
            client.delete(key)


@pytest.mark.django_db
def test_stale_login_throttles_are_purged_but_active_lockouts_kept():
    from datetime import timedelta

    from django.utils import timezone

    from testigo.core.models import LoginThrottle
    from testigo.core.tasks import purge_stale_login_throttles

    old = LoginThrottle.objects.create(username="viejo", failures=2)
    locked = LoginThrottle.objects.create(username="bloqueado", failures=5,
                                          locked_until=timezone.now() + timedelta(minutes=10))
    LoginThrottle.objects.filter(pk__in=[old.pk, locked.pk]).update(updated_at=timezone.now() - timedelta(days=2))
    recent = LoginThrottle.objects.create(username="reciente", failures=1)
    assert purge_stale_login_throttles() == 1
    assert set(LoginThrottle.objects.values_list("username", flat=True)) == {"bloqueado", recent.username}
