"""Bootstrap (issue 18): on an empty database, `hotline units import FILE.csv`, `units create`
and `users create --first-admin` build a real unit tree and its first admin, who can sign in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hotline.units.models import Unit, User

HOTLINE = str(Path(sys.executable).with_name("hotline"))
TREE = """code,name,kind,parent
JD-HH,和平街道办事处,street,QX-A
HL,某市12345热线中心,hotline,
QX-A,甲区人民政府,district_gov,HL
SJ-ZJ,市住房和城乡建设局,city_dept,HL
"""


def hotline(engine: Engine, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
                "HOTLINE_DEMO_MODE": "false", "HOTLINE_SECRET_KEY": "b" * 40})
    if os.environ.get("HOTLINE_DATABASE_SCHEMA"):
        env["HOTLINE_DATABASE_SCHEMA"] = os.environ["HOTLINE_DATABASE_SCHEMA"]
    return subprocess.run([HOTLINE, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_unit_tree_and_first_admin_on_an_empty_database(engine: Engine, tmp_path: Path) -> None:
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(TREE, "utf-8")
    r = hotline(engine, tmp_path, "units", "import", str(csv_file))
    assert r.returncode == 0, r.stderr
    assert "新建 4 个" in r.stdout
    again = hotline(engine, tmp_path, "units", "import", str(csv_file))
    assert again.returncode == 0 and "跳过 4 个" in again.stdout  # re-runnable
    r = hotline(engine, tmp_path, "units", "create", "SQ-1", "幸福社区", "--kind", "community",
                "--parent", "JD-HH")
    assert r.returncode == 0, r.stderr
    bad = hotline(engine, tmp_path, "units", "create", "X-1", "无上级", "--kind", "street",
                  "--parent", "NOPE")
    assert bad.returncode == 2 and "NOPE" in bad.stderr and "Traceback" not in bad.stderr

    r = hotline(engine, tmp_path, "users", "create", "root", "--first-admin",
                "--password", "correct-horse-9")
    assert r.returncode == 0, r.stderr
    assert "correct-horse-9" not in r.stdout + r.stderr
    second = hotline(engine, tmp_path, "users", "create", "root2", "--first-admin",
                     "--password", "correct-horse-9")
    assert second.returncode == 2 and "已有用户" in second.stderr
    r = hotline(engine, tmp_path, "users", "create", "zj1", "--role", "unit_handler",
                "--unit", "SJ-ZJ", "--password", "handler-pass-1")
    assert r.returncode == 0, r.stderr

    with Session(engine) as s:
        units = {u.code: u for u in s.exec(select(Unit))}
        assert units["JD-HH"].path == f"{units['HL'].path}{units['QX-A'].id}/{units['JD-HH'].id}/"
        admin = s.exec(select(User).where(User.username == "root")).one()
        assert admin.role == "admin" and admin.unit_id == units["HL"].id

    from hotline.app import create_app
    from hotline.core import settings

    settings.get_settings.cache_clear()
    with TestClient(create_app()) as client:
        token = client.post("/api/v1/auth/token", data={"username": "root",
                                                        "password": "correct-horse-9"})
        assert token.status_code == 200, token.text
