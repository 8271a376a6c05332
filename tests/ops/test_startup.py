"""Fail fast and clearly (issue 18): `hotline serve`, `worker` and `cron` check every setting,
the peers file (secrets from the environment included) and the database at start; a bad value
stops the process with one Chinese line naming the setting, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.core.settings import Settings
from tests.conftest import REPO

HOTLINE = str(Path(sys.executable).with_name("hotline"))
GOOD_SECRET = "s" * 40
PEERS_WITHOUT_SECRET = """
[peers.110]
name = "110 报警服务台"
base_url = "http://127.0.0.1:9"
"""


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    base.update({"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
                 "HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "HOTLINE_DEMO_MODE": "false",
                 "HOTLINE_SECRET_KEY": GOOD_SECRET, "HOTLINE_EMBEDDED_JOBS": "false"})
    base.update(env)
    return subprocess.run([HOTLINE, *args], cwd=tmp_path, env=base, capture_output=True,
                          text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("错误：")
    return lines[0]


@pytest.mark.parametrize("command", ["serve", "worker", "cron"])
def test_bad_escalation_delay_stops_every_process(command: str, tmp_path: Path) -> None:
    line = one_line(run([command], tmp_path, HOTLINE_ESCALATE_AFTER="30m"))
    assert "HOTLINE_ESCALATE_AFTER" in line and "2wd" in line


@pytest.mark.parametrize(("env", "expected"), [
    ({"HOTLINE_SECRET_KEY": "x"}, ["HOTLINE_SECRET_KEY", "太短"]),
    ({"HOTLINE_SECRET_KEY": ""}, ["HOTLINE_SECRET_KEY"]),
    ({"HOTLINE_PORT": "abc"}, ["HOTLINE_PORT", "应为整数"]),
    ({"HOTLINE_SCAN_INTERVAL_SECONDS": "0"}, ["HOTLINE_SCAN_INTERVAL_SECONDS", "不小于 1"]),
    ({"HOTLINE_LOG_LEVEL": "verbose"}, ["HOTLINE_LOG_LEVEL", "日志级别"]),
    ({"HOTLINE_DEMO_MODE": "perhaps"}, ["HOTLINE_DEMO_MODE", "true 或 false"]),
    ({"HOTLINE_DATABASE_URL": "mysql://x"}, ["HOTLINE_DATABASE_URL"]),
    ({"HOTLINE_HOLIDAY_TABLE": "/nonexistent/holidays.csv"}, ["HOTLINE_HOLIDAY_TABLE", "不存在"]),
    ({"HOTLINE_PEER__110__BASE_URL": "not a url"}, ["HOTLINE_PEER__", "110", "base_url"]),
])
def test_bad_setting_is_one_chinese_line(env: dict[str, str], expected: list[str],
                                         tmp_path: Path) -> None:
    line = one_line(run(["serve"], tmp_path, **env))
    for word in expected:
        assert word in line, line


def test_peers_file_without_secret_and_no_secret_in_env_is_refused(tmp_path: Path) -> None:
    peers = tmp_path / "peers.toml"
    peers.write_text(PEERS_WITHOUT_SECRET, "utf-8")
    line = one_line(run(["serve"], tmp_path, HOTLINE_PEERS_FILE=str(peers)))
    assert "HOTLINE_PEERS_FILE" in line and "secret" in line


def test_secret_from_env_completes_the_peers_file(tmp_path: Path) -> None:
    """The file leaves the secret out; HOTLINE_PEER__110__SECRET gives it: the peers pass, and
    the next check (an empty database) is what stops the process."""
    peers = tmp_path / "peers.toml"
    peers.write_text(PEERS_WITHOUT_SECRET, "utf-8")
    secret = "peer-secret-" + "q" * 20
    result = run(["serve"], tmp_path, HOTLINE_PEERS_FILE=str(peers), HOTLINE_PEER__110__SECRET=secret)
    line = one_line(result)
    assert "hotline db upgrade" in line
    assert secret not in result.stdout + result.stderr


def test_missing_schema_is_one_line(tmp_path: Path) -> None:
    line = one_line(run(["worker"], tmp_path))
    assert "数据库尚未建表" in line and "hotline db upgrade" in line


def test_unreachable_database_names_it_without_the_password(tmp_path: Path) -> None:
    result = run(["cron"], tmp_path,
                 HOTLINE_DATABASE_URL="postgresql+psycopg://ops:hunter2pw@127.0.0.1:1/nowhere")
    line = one_line(result)
    assert "HOTLINE_DATABASE_URL" in line and "hunter2pw" not in result.stderr


def test_db_upgrade_never_prints_the_password(tmp_path: Path) -> None:
    from tests.conftest import PG_URL

    url = PG_URL.replace("postgres@", "postgres:hunter2pw@")  # trust auth: any password works
    schema = f"t_preflight_{os.getpid()}"
    import sqlalchemy

    admin = sqlalchemy.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        result = run(["db", "upgrade"], tmp_path, HOTLINE_DATABASE_URL=url,
                     HOTLINE_DATABASE_SCHEMA=schema)
        assert result.returncode == 0, result.stderr
        assert "hunter2pw" not in result.stdout + result.stderr
        assert "***" in result.stdout
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_scan_interval_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    """HOTLINE_SCAN_INTERVAL_SECONDS drives both the embedded timer and `hotline cron`."""
    from hotline.core import settings
    from hotline.workers.schedule import periodic

    monkeypatch.setenv("HOTLINE_SCAN_INTERVAL_SECONDS", "7")
    settings.get_settings.cache_clear()
    try:
        scan = [(kw, every) for func, kw, every in periodic() if func.__name__ == "sla_scan"]
        assert ({"full": False}, 7) in scan
    finally:
        monkeypatch.delenv("HOTLINE_SCAN_INTERVAL_SECONDS")
        settings.get_settings.cache_clear()


def test_settings_module_rejects_short_secret_outside_demo() -> None:
    from hotline.core.settings import InsecureSettingsError

    with pytest.raises(InsecureSettingsError):
        Settings(demo_mode=False, secret_key="x").check_safe()
    Settings(demo_mode=True, secret_key="x").check_safe()


assert REPO.exists()
