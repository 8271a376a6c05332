"""Deadline policies from TOML: defaults of CQ §13, overrides, several named policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from sla import CountingRule, Duration, PolicyError, PolicySet


def test_default_policy_is_cq_13(policy: PolicySet) -> None:
    assert policy.name == "default"
    assert policy.rule == CountingRule()
    assert policy.transfer == Duration(1)
    assert policy.return_window == Duration(2)
    assert policy.close_default == Duration(15)
    assert policy.close_by_request_type["咨询"] == Duration(5)
    assert policy.legal["行政许可决定"] == Duration(20)
    assert policy.rework == Duration(5)
    assert policy.supervision == Duration(3)
    assert policy.at_risk_remaining == Duration(1)
    assert policy.at_risk_fraction == 0.8
    assert policy.pause_enabled is False
    assert policy.restart_close_on_redispatch is True


def test_close_duration_precedence(policy: PolicySet) -> None:
    assert policy.close_duration("投诉", None) == Duration(15)
    assert policy.close_duration("咨询", None) == Duration(5)
    assert policy.close_duration(None, None, legal="行政许可决定") == Duration(20)
    assert policy.close_duration("咨询", "城乡建设", legal="行政许可决定") == Duration(20)
    with pytest.raises(KeyError, match="unknown legal deadline"):
        policy.close_duration(None, None, legal="不存在")


def test_longest_category_prefix_wins(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        """
[policies.city]
close_default = "10wd"
[policies.city.close_by_category]
"城乡建设" = "20wd"
"城乡建设/城市建设和市政管理" = "12wd"
"城乡建设/城市建设和市政管理/燃气供应" = "2h"
""",
        "utf-8",
    )
    p = PolicySet.load(path, "city")
    assert p.close_default == Duration(10)
    assert p.transfer == Duration(1)  # not given: from the built-in default
    assert p.close_duration("投诉", "城乡建设/城市建设和市政管理/燃气供应") == Duration(2, "calendar_hours")
    assert p.close_duration("投诉", "城乡建设/城市建设和市政管理/燃气供应/漏气") == Duration(
        2, "calendar_hours"
    )
    assert p.close_duration("投诉", "城乡建设/城市建设和市政管理/园林绿化") == Duration(12)
    assert p.close_duration("咨询", "城乡建设/安全生产") == Duration(20)
    assert p.close_duration("咨询", "城乡") == Duration(5)  # whole segments only
    assert p.close_duration("投诉", "教育文体") == Duration(10)


def test_named_policies_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        """
[policies.base]
close_default = "10wd"
pause_enabled = true
[policies.base.rule]
start_day_counts = true
[policies.strict]
extends = "base"
restart_close_on_redispatch = false
[policies.strict.warnings]
at_risk_fraction = 0.5
""",
        "utf-8",
    )
    strict = PolicySet.load(path, "strict")
    assert strict.close_default == Duration(10)
    assert strict.pause_enabled and not strict.restart_close_on_redispatch
    assert strict.rule.start_day_counts
    assert strict.at_risk_fraction == 0.5
    assert strict.close_by_request_type["咨询"] == Duration(5)
    example = PolicySet.load(name="emergency_example")
    assert example.close_duration("求助", "城乡建设/城市建设和市政管理/燃气供应") == Duration(
        2, "calendar_hours"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[policies.default]\ntransfer = "1 week"\n', "transfer"),
        ('[policies.default]\ntransfr = "1wd"\n', "unknown keys"),
        ("[policies.default.warnings]\nat_risk_fraction = 1.5\n", "at_risk_fraction"),
        ('[policies.default.rule]\nend_at = "noon"\n', "end_at"),
        ('[policies.a]\nextends = "b"\n[policies.b]\nextends = "a"\n', "cycle"),
        ("not toml [", "invalid TOML"),
        ("[other]\n", "expected [policies.<name>]"),
    ],
)
def test_bad_policy_files(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(body, "utf-8")
    name = "a" if "policies.a" in body else "default"
    with pytest.raises(PolicyError, match=fragment.replace("[", r"\[").replace(".", r"\.")):
        PolicySet.load(path, name)


def test_unknown_policy_name() -> None:
    with pytest.raises(PolicyError, match="no policy 'nope'"):
        PolicySet.load(name="nope")
