"""Logs (issue 18): key=value lines with time, level, logger and request id; HOTLINE_LOG_LEVEL
applies to the product's loggers; a job logs its outcome, not RQ's "Job OK"; no secret or
password appears in the output of a run (the worker's, grepped whole)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.hotline.conftest import Api
from tests.ops.conftest import PrivateRedis

HOTLINE = str(Path(sys.executable).with_name("hotline"))
SECRET_KEY = "sk-" + "Zq7" * 12
PEER_SECRET = "peer-" + "Wx9" * 8
DB_PASSWORD = "dbpw-Hn4Hn4Hn4"


def test_request_log_lines_are_structured_with_the_request_id(
        api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    r = api.client.get("/login", headers={"X-Request-ID": "req-abc123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-abc123"
    line = next(x for x in capsys.readouterr().err.splitlines() if "GET /login" in x)
    for part in ("time=", "level=INFO", "logger=hotline.web", "request_id=req-abc123"):
        assert part in line, line
    assert api.client.get("/healthz").headers["x-request-id"]  # made up when none is given


def test_log_level_applies_to_the_product_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.core import logs, settings

    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "warning")
    settings.get_settings.cache_clear()
    try:
        logs.configure()
        assert logging.getLogger("hotline.linkage").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("uvicorn.access").getEffectiveLevel() == logging.WARNING
    finally:
        monkeypatch.setenv("HOTLINE_LOG_LEVEL", "info")
        settings.get_settings.cache_clear()
        logs.configure()
    assert logging.getLogger("hotline.jobs").getEffectiveLevel() == logging.INFO


def test_worker_run_logs_outcomes_and_no_secret(engine: Engine, private_redis: PrivateRedis,
                                                tmp_path: Path) -> None:
    from redis import Redis
    from rq import Queue

    from hotline.workers import jobs
    from hotline.workers.queue import QUEUE

    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":  # trust authentication: any password is accepted
        url = url.replace("postgres@", f"postgres:{DB_PASSWORD}@")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_DATABASE_URL": url, "HOTLINE_REDIS_URL": private_redis.url,
                "HOTLINE_DEMO_MODE": "false", "HOTLINE_SECRET_KEY": SECRET_KEY,
                "HOTLINE_PEER__110__NAME": "110", "HOTLINE_PEER__110__BASE_URL": "http://127.0.0.1:9",
                "HOTLINE_PEER__110__SECRET": PEER_SECRET, "HOTLINE_LOG_LEVEL": "info"})
    if os.environ.get("HOTLINE_DATABASE_SCHEMA"):
        env["HOTLINE_DATABASE_SCHEMA"] = os.environ["HOTLINE_DATABASE_SCHEMA"]
    queue = Queue(QUEUE, connection=Redis.from_url(private_redis.url))
    queue.enqueue(jobs.sla_scan)
    queue.enqueue(jobs.relay_outbox)
    run = subprocess.run([HOTLINE, "worker", "--burst"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    for secret in (SECRET_KEY, PEER_SECRET, DB_PASSWORD):
        assert secret not in output
    assert "Job OK" not in output
    done = [x for x in output.splitlines() if "job done" in x]
    assert any("job=sla_scan" in x and "fired" in x for x in done), output
    assert any("job=relay_outbox" in x and "delivered" in x for x in done), output
    for line in done:
        assert line.startswith("time=") and "level=INFO" in line and "logger=hotline.jobs" in line
