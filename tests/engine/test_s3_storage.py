"""Results and references shared through S3-compatible storage, end to end against moto's S3
server over loopback: one machine generates (its references uploaded, its result published),
another machine with an empty working copy reads both; a failing bucket is retried like a
failing disk, the credits held until the result is stored."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import boto3
import pytest
from PIL import Image

from higgsctl.engine import GenerationRequest
from higgsctl.engine.events import STORAGE_RETRY
from higgsctl.launch import open_engine

from .test_generations import fast

BUCKET = "higgsctl-test"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3_server}.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def machine(settings, sandbox, tmp_path, name: str):
    """Settings for one machine: its own working copy, the shared database and bucket."""
    return replace(fast(settings, sandbox), storage_path=tmp_path / name, storage_url=f"s3://{BUCKET}/shop")


async def test_a_result_made_on_one_machine_is_read_on_another(settings, sandbox, bucket, tmp_path):
    reference = tmp_path / "cat.png"
    Image.new("RGB", (64, 48), "red").save(reference)
    async with open_engine(machine(settings, sandbox, tmp_path, "a")) as a:
        a.users.register(1)
        generation = await a.generations.run(GenerationRequest(
            user_id=1, model="nano-banana", prompt="shared", aspect_ratio="1:1", references=(reference,)))
    assert generation.status == "completed"
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"shop/{generation.result_files[0]}" in keys
    assert any(k.startswith("shop/users/1/last_uploads/") for k in keys)  # the reference, as uploaded
    async with open_engine(machine(settings, sandbox, tmp_path, "b")) as b:
        [result] = generation.result_files
        local = await asyncio.to_thread(b.store.locate, result)
        assert local.is_relative_to(tmp_path / "b") and local.read_bytes() == (tmp_path / "a" / result).read_bytes()
        [used] = generation.references  # recorded under used/, published under last_uploads/
        assert (await asyncio.to_thread(b.store.locate, used)).read_bytes() == reference.read_bytes()
        assert not (await asyncio.to_thread(b.store.locate, "users/1/results/999-0.png")).exists()


async def test_a_failing_bucket_is_retried_with_the_credits_held(settings, sandbox, bucket, tmp_path, monkeypatch):
    from higgsctl.engine.object_store import ObjectStore

    failures = {"left": 2}
    original = ObjectStore.put

    def flaky(self, relative, path):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("bucket unavailable (503)")
        original(self, relative, path)

    monkeypatch.setattr(ObjectStore, "put", flaky)
    events = []
    async with open_engine(machine(settings, sandbox, tmp_path, "a")) as a:
        a.users.register(1)
        a.generations.policy = replace(a.generations.policy, retry=replace(a.generations.policy.retry, base_delay=0.01,
                                                                             max_delay=0.02))
        generation = await a.generations.run(GenerationRequest(user_id=1, model="nano-banana", prompt="retry",
                                                               aspect_ratio="1:1"), events.append)
    assert generation.status == "completed" and generation.charge == "captured"
    assert sum(e.code == STORAGE_RETRY for e in events) == 2
