"""Health, readiness and metrics (issue 18), and demo safety."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.hotline.conftest import Api


def test_liveness_readiness_and_metrics(api: Api) -> None:
    from hotline.workers.jobs import sla_scan

    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.headers["content-type"].startswith("application/health+json")
    body = ready.json()
    assert set(body["checks"]) >= {"database", "peers", "outbox", "sla_scan", "calendar"}
    assert body["checks"]["database"][0]["status"] == "pass"
    assert body["checks"]["sla_scan"][0]["status"] == "warn"  # never ran yet: said so

    api.create()
    sla_scan()  # as the timer runs it
    scan = api.client.get("/readyz").json()["checks"]["sla_scan"][0]
    assert scan["status"] == "pass" and "time" in scan and "durationSeconds" in scan

    text = api.client.get("/metrics").text
    for needle in ('hotline_http_requests_total{method="POST",route="/api/v1/tickets",status="201"}',
                   "hotline_http_request_duration_seconds_bucket",
                   'hotline_job_runs_total{job="sla_scan"} 1.0',
                   'hotline_job_last_duration_seconds{job="sla_scan"}',
                   'hotline_open_tickets{level="normal"}', "hotline_scan_fired_total",
                   "hotline_peers_configured"):
        assert needle in text, (needle, [x for x in text.splitlines() if "requests_total{" in x][:8])


def test_demo_mode_has_no_peer_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fixed 127.0.0.1:9110: without configuration a demo sends nothing to anyone."""
    import os

    from hotline.core import settings
    from hotline.linkage import peers

    for name in [n for n in os.environ if n.startswith("HOTLINE_PEER")]:
        monkeypatch.delenv(name)
    settings.get_settings.cache_clear()
    peers.reload()
    try:
        assert settings.get_settings().demo_mode and peers.peers() == {}
    finally:
        peers.reload()


def test_make_run_starts_its_own_simulator_on_a_free_port() -> None:
    script = (REPO / "scripts" / "run-demo.sh").read_text()
    assert "9110" not in script and "HOTLINE_PEER__110__BASE_URL" in script and "sim110" in script
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / "run-demo.sh")]).returncode == 0
    assert "scripts/run-demo.sh" in (REPO / "Makefile").read_text()
    assert Path(REPO / "scripts" / "run-demo.sh").stat().st_mode & 0o111
