"""Safety detector on the hand-written labelled set (tests/classifier/safety_cases.csv).

CQ §10: a missed emergency is the worst error, so recall must stay ≥ 0.98."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier import SafetyDetector, SafetyFinding

CASES = Path(__file__).with_name("safety_cases.csv")


def load_cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_case_file_is_large_and_mixed() -> None:
    rows = load_cases()
    kinds = {r["kind"] for r in rows}
    assert len(rows) >= 200 and kinds == {"emergency", "none", "not_accepted"}


def test_emergency_recall_and_precision() -> None:
    det = SafetyDetector()
    tp = fn = fp = 0
    missed = []
    for r in load_cases():
        f = det.check(r["text"])
        is_em = r["kind"] == "emergency"
        if is_em and f.kind == "emergency":
            tp += 1
        elif is_em:
            fn += 1
            missed.append(r["text"])
        elif f.kind == "emergency":
            fp += 1
    recall = tp / (tp + fn)
    precision = tp / (tp + fp)
    print(f"emergency recall={recall:.3f} precision={precision:.3f}")
    assert recall >= 0.98, missed
    assert precision >= 0.85


def test_service_and_reason_agree_with_labels() -> None:
    det = SafetyDetector()
    rows = [r for r in load_cases() if r["kind"] == "emergency"]
    ok = sum(det.check(r["text"]).service == r["service"] for r in rows)
    assert ok / len(rows) >= 0.95


def test_not_accepted_reasons() -> None:
    det = SafetyDetector()
    rows = [r for r in load_cases() if r["kind"] == "not_accepted"]
    ok = sum(det.check(r["text"]).reason_code == r["reason_code"] for r in rows)
    assert ok / len(rows) >= 0.9


@pytest.mark.parametrize(
    ("text", "service", "reason"),
    [
        ("楼下着火了快来人", "119", "fire"),
        ("我爸突然晕倒了叫不醒", "120", "medical"),
        ("有人拿着刀在楼道里追人", "110", "violence"),
        ("路口出车祸了有人躺在地上", "122", "traffic"),
    ],
)
def test_live_emergencies_name_their_line_and_triggers(text: str, service: str, reason: str) -> None:
    f = SafetyDetector().check(text)
    assert (f.kind, f.service, f.reason_code) == ("emergency", service, reason)
    assert f.triggers and all(t in text for t in f.triggers)
    assert 0 < f.score <= 1


def test_extinguished_fire_asking_for_compensation_is_not_live() -> None:
    f = SafetyDetector().check("火已经灭了，咨询赔偿")
    assert f.kind != "emergency"
    f = SafetyDetector().check("上个月家里着火了，火已经灭了，想问怎么赔偿")
    assert f.kind == "none" and "着火" in f.discounted


def test_live_marker_beats_past_marker() -> None:
    f = SafetyDetector().check("上个月着过一次火，现在还在烧，快来")
    assert f.kind == "emergency" and f.service == "119"


def test_not_accepted_carries_referral() -> None:
    f = SafetyDetector().check("我已经申请了劳动仲裁，想问仲裁委什么时候开庭")
    assert f.kind == "not_accepted" and f.reason_code == "arbitration"
    assert f.referral and "仲裁" in f.referral
    assert f.triggers


def test_ordinary_request_is_none() -> None:
    f = SafetyDetector().check("小区物业费太贵了")
    assert isinstance(f, SafetyFinding) and f.kind == "none" and f.service is None
