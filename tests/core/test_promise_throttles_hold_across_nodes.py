"""Promise: throttles, rate limits and lockouts hold across nodes. Two processes with separate data
directories (two web nodes) share the staff login lockout and the tip line's codename throttle
through the database, and, when Redis is configured, one cache: a counter either node increments is
the same counter."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

SETUP = "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','testigo.settings');django.setup();"


def _node_env(data_dir, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    return env | {"TESTIGO_DATA_DIR": str(data_dir)} | {f"TESTIGO_{k}": v for k, v in extra.items()}


def _database_url() -> str:
    """The test database as a URL another process can open."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run(env, code: str) -> str:
    result = subprocess.run([sys.executable, "-c", SETUP + code], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_login_lockout_started_on_one_node_holds_on_the_other(tmp_path):
    url = _database_url()
    fail = ("from testigo.core import auth\n"
            "for _ in range({n}): auth.record_failure(username='Ana')\n"
            "try:\n auth.check_not_locked(username='ana'); print('open')\n"
            "except auth.LoginLocked: print('locked')")
    node_a = _node_env(tmp_path / "a", DATABASE_URL=url, LOGIN_FAILURE_LIMIT="5")
    node_b = _node_env(tmp_path / "b", DATABASE_URL=url, LOGIN_FAILURE_LIMIT="5")
    assert _run(node_a, fail.format(n=3)) == "open"
    assert _run(node_b, fail.format(n=2)) == "locked"  # 3 + 2: the fifth failure, on the other node
    assert _run(node_a, fail.format(n=0)) == "locked"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_tip_line_codename_throttle_counts_attempts_on_every_node(tmp_path):
    url = _database_url()
    hit = ("from testigo.tipline import throttle\n"
           "key = throttle.codename_key('0' * 64)\n"
           "for _ in range({n}): throttle.hit(throttle.LOGIN_CODENAME, key)\n"
           "print(throttle.exceeded(throttle.LOGIN_CODENAME, key))")
    node_a = _node_env(tmp_path / "a", DATABASE_URL=url, TIP_LOGIN_FAILURES_PER_CODENAME="4")
    node_b = _node_env(tmp_path / "b", DATABASE_URL=url, TIP_LOGIN_FAILURES_PER_CODENAME="4")
    assert _run(node_a, hit.format(n=2)) == "False"
    assert _run(node_b, hit.format(n=2)) == "True"


@pytest.mark.slow
@pytest.mark.services
def test_two_nodes_share_one_counter_through_the_redis_cache(tmp_path):
    url = os.environ.get("TESTIGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"TESTIGO_REQUIRE_SERVICES=1 but Redis is not reachable at {url}")
        pytest.skip(f"Redis not reachable at {url}; set TESTIGO_TEST_REDIS_URL to run the shared-cache test")
    name = f"testigo-test-{uuid.uuid4().hex[:8]}"
    count = ("from django.core.cache import cache\n"
             "from django.conf import settings\n"
             "assert settings.CACHES['default']['BACKEND'].endswith('RedisCache')\n"
             "cache.add('attempts', 0, timeout=600)\n"
             "for _ in range(200): cache.incr('attempts')\n")
    nodes = [subprocess.Popen([sys.executable, "-c", SETUP + count],
                              env=_node_env(tmp_path / node, CACHE_URL=url, QUEUE_NAME=name),
                              stderr=subprocess.PIPE, text=True) for node in ("a", "b")]
    try:
        for node in nodes:
            assert node.wait(timeout=120) == 0, node.stderr.read()
        total = _run(_node_env(tmp_path / "c", CACHE_URL=url, QUEUE_NAME=name),
                     "from django.core.cache import cache;print(cache.get('attempts'))")
        assert total == "400"  # every increment from both nodes, none lost
    finally:
        client = redis.Redis.from_url(url)
        for key in client.keys(f"{name}:*"):
            client.delete(key)
