"""``python -m sla`` end to end, in a subprocess, as operators run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sla.conftest import REPO, TABLE_2027


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sla", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_deadline_with_start() -> None:
    p = run("deadline", "--working-days", "15", "--start", "2026-11-21 10:00:00")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {
        "start": "2026-11-21T10:00:00+08:00",
        "deadline": "2026-12-11T23:59:59+08:00",
        "provisional": False,
    }


def test_deadline_from_stdin_in_all_formats() -> None:
    lines = "2019/4/25 9:32:09\n\n2017-06-08 17:31:20\n2026-02-13T01:00:00+00:00\n"
    p = run("deadline", "--working-days", "1", stdin=lines)
    assert p.returncode == 0, p.stderr
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert [o["deadline"] for o in out] == [
        "2019-04-26T23:59:59+08:00",
        "2017-06-09T23:59:59+08:00",
        "2026-02-14T23:59:59+08:00",
    ]
    assert out[0]["start"] == "2019-04-25T09:32:09+08:00"
    assert all(o["provisional"] is False and "warning" not in o for o in out)


def test_provisional_deadline_carries_a_warning(tmp_path: Path) -> None:
    p = run("deadline", "--working-days", "15", "--start", "2026-12-21 10:00:00")
    record = json.loads(p.stdout)
    assert record["provisional"] is True and "2027" in record["warning"]

    table = tmp_path / "h.csv"
    table.write_text(TABLE_2027, "utf-8")
    p = run("deadline", "--working-days", "15", "--start", "2026-12-21 10:00:00", "--holidays", str(table))
    assert json.loads(p.stdout) == {
        "start": "2026-12-21T10:00:00+08:00",
        "deadline": "2027-01-12T23:59:59+08:00",
        "provisional": False,
    }


def test_bad_line_is_a_clear_error() -> None:
    p = run("deadline", "--working-days", "1", stdin="2019/4/25 9:32:09\nyesterday noon\n")
    assert p.returncode == 2
    assert "line 2" in p.stderr and "'yesterday noon'" in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stdout.splitlines()) == 1  # the good line is still answered


def test_bad_table_and_policy_are_clear_errors(tmp_path: Path) -> None:
    table = tmp_path / "h.csv"
    table.write_text("2027-01-01,holday,元旦\n", "utf-8")
    p = run("deadline", "--working-days", "1", "--start", "2026-03-02 10:00:00", "--holidays", str(table))
    assert p.returncode == 2 and "line 1" in p.stderr and "Traceback" not in p.stderr
    policy = tmp_path / "p.toml"
    policy.write_text('[policies.default]\ntransfer = "soon"\n', "utf-8")
    p = run("deadline", "--working-days", "1", "--start", "2026-03-02 10:00:00", "--policy", str(policy))
    assert p.returncode == 2 and "transfer" in p.stderr and "Traceback" not in p.stderr


def test_policy_rule_is_used(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[policies.default.rule]\nstart_day_counts = true\n", "utf-8")
    p = run("deadline", "--working-days", "1", "--start", "2026-03-02 10:00:00", "--policy", str(policy))
    assert json.loads(p.stdout)["deadline"] == "2026-03-02T23:59:59+08:00"


def test_calendar_year() -> None:
    p = run("calendar", "--year", "2026")
    assert p.returncode == 0, p.stderr
    assert "2026-02-14" in p.stdout and "调休上班" in p.stdout
    assert "2026-10-01" in p.stdout and "国庆节" in p.stdout
    assert "provisional" not in p.stdout.split("\n")[1]
    assert "248" in p.stdout
    p = run("calendar", "--year", "2027")
    assert p.returncode == 0 and "2027" in p.stdout and "临时" in p.stdout and "provisional" in p.stdout


def test_replay_small_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "r.csv"
    csv_path.write_text(
        "message_id,posted_at,body,replied_at\n"
        '1,2026/2/13 9:00:00,"a\nmulti-line body",2026/2/14 16:00:00\n'  # 1 wd (make-up Sat)
        "2,2026-02-13 09:00:00,b,2026-02-24 08:00:00\n"  # 2 wd
        "3,2026/3/2 10:00:00,c,2026/3/30 10:00:00\n"  # 20 wd
        "4,2026/3/2 10:00:00,d,not a time\n"
        "5,2026/3/5 10:00:00,e,2026/3/2 10:00:00\n",  # reply before post
        "utf-8",
    )
    p = run("replay", str(csv_path), "--working-days", "15")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert _value(out, "rows") == 5
    assert _value(out, "measured") == 3
    assert _value(out, "unparsed") == 1
    assert _value(out, "reply before post") == 1
    assert _value(out, "within 15 wd") == 2
    assert _bucket(out, "1") == 1 and _bucket(out, "2") == 1 and _bucket(out, "16–30") == 1


def test_replay_missing_columns(tmp_path: Path) -> None:
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("a,b\n1,2\n", "utf-8")
    p = run("replay", str(csv_path), "--working-days", "15")
    assert p.returncode == 2 and "posted_at" in p.stderr and "Traceback" not in p.stderr


def _value(out: str, label: str) -> int:
    for line in out.splitlines():
        if line.startswith(label + " "):
            return int(line[len(label) :].split()[0])
    raise AssertionError(f"{label!r} not in output:\n{out}")


def _bucket(out: str, label: str) -> int:
    table = out.split("working days taken", 1)[1]
    for line in table.splitlines():
        parts = line.split()
        if parts and parts[0] == label:
            return int(parts[1])
    raise AssertionError(f"bucket {label!r} not in output:\n{out}")
