"""Named deadline policies, read from TOML so that operators, not releases, set the numbers.

CQ §13 fixes the defaults (transfer 1 wd, return 2 wd, close 5/15 wd, legal deadlines win),
but cities and categories differ; the policy file is where those differences live.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sla.counting import CountingRule
from sla.durations import Duration
from sla.legal import LegalTable
from sla.office_hours import DEFAULT_OFFICE_HOURS, OfficeHours

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policies.toml")


class PolicyError(ValueError):
    """The policy file is wrong; the message names the file, policy and key."""


@dataclass(frozen=True)
class PolicySet:
    name: str
    rule: CountingRule
    transfer: Duration
    return_window: Duration
    close_default: Duration
    close_by_request_type: Mapping[str, Duration]
    close_by_category: Mapping[str, Duration]
    legal: Mapping[str, Duration]
    rework: Duration
    supervision: Duration
    at_risk_remaining: Duration
    at_risk_fraction: float
    pause_enabled: bool = False
    restart_close_on_redispatch: bool = True
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS
    description: str = ""
    _categories: tuple[tuple[tuple[str, ...], Duration], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.at_risk_fraction <= 1.0:
            raise PolicyError(f"at_risk_fraction must be in (0, 1], got {self.at_risk_fraction}")
        cats = sorted(
            ((category_key(k), v) for k, v in self.close_by_category.items()),
            key=lambda kv: -len(kv[0]),
        )
        object.__setattr__(self, "_categories", tuple(cats))

    @classmethod
    def load(cls, path: str | Path | None = None, name: str = "default",
             legal: LegalTable | str | Path | None = None) -> PolicySet:
        """Load one named policy; keys a policy leaves out come from what it extends.

        A policy extends ``extends = "<name>"`` of the same file, or else the built-in
        default policy, so an operator's file only needs the numbers that differ. The legal
        deadlines (CQ §13(四)) are the table ``legal`` (a file, or the bundled table), plus
        whatever the policy's own ``[legal]`` adds or overrides.
        """
        source = Path(path) if path is not None else DEFAULT_POLICY_PATH
        policies = _read(source)
        if name not in policies:
            known = ", ".join(sorted(policies)) or "none"
            raise PolicyError(
                f"{source}: 没有名为 {name!r} 的策略 / no policy {name!r} (have: {known})"
            )
        merged = _resolve(policies, name, source, seen=())
        policy = _build(name, merged, source)
        table = legal if isinstance(legal, LegalTable) else LegalTable.load(legal)
        return replace(policy, legal=MappingProxyType({**table.durations(), **policy.legal}))

    def close_duration(
        self, request_type: str | None, category: str | None, legal: str | None = None
    ) -> Duration:
        """Legal deadline (CQ §13(四)) > category prefix > request type (CQ §13(二)) > default.

        A category override is the most specific operational rule (e.g. emergency matters in
        hours), so it beats the request type; a deadline set by law beats everything.
        """
        if legal:
            try:
                return self.legal[legal]
            except KeyError:
                known = ", ".join(self.legal) or "none"
                raise KeyError(
                    f"未知的法定时限 / unknown legal deadline {legal!r} (have: {known})"
                ) from None
        if category:
            parts = category_key(category)
            for prefix, duration in self._categories:
                if parts[: len(prefix)] == prefix:
                    return duration
        if request_type and request_type in self.close_by_request_type:
            return self.close_by_request_type[request_type]
        return self.close_default


def category_key(category: str) -> tuple[str, ...]:
    """Category paths match by whole segments: ``城乡`` is not a prefix of ``城乡建设``."""
    return tuple(p.strip() for p in category.replace("／", "/").split("/") if p.strip())


# -- reading ----------------------------------------------------------------------------

_SCALARS = {
    "transfer",
    "return_window",
    "close_default",
    "rework",
    "supervision",
    "pause_enabled",
    "restart_close_on_redispatch",
    "office_hours",
    "description",
    "extends",
}
_TABLES = {"rule", "warnings", "close_by_request_type", "close_by_category", "legal"}
_MAPPINGS = ("close_by_request_type", "close_by_category", "legal")


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise PolicyError(f"无法读取策略文件 / cannot read policy file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: TOML 格式错误 / invalid TOML: {exc}") from exc
    policies = data.get("policies")
    if not isinstance(policies, dict):
        raise PolicyError(f"{path}: 需要 [policies.<name>] 表 / expected [policies.<name>] tables")
    return policies


def _resolve(
    policies: Mapping[str, dict[str, Any]], name: str, source: Path, seen: tuple[str, ...]
) -> dict[str, Any]:
    if name in seen:
        raise PolicyError(
            f"{source}: 策略继承成环 / policy 'extends' cycle: {' → '.join((*seen, name))}"
        )
    raw = policies[name]
    unknown = set(raw) - _SCALARS - _TABLES
    if unknown:
        raise PolicyError(
            f"{source}: [policies.{name}] 未知配置项 / unknown keys: {sorted(unknown)}"
        )
    parent_name = raw.get("extends")
    if parent_name is not None:
        if parent_name not in policies:
            raise PolicyError(f"{source}: [policies.{name}] extends unknown policy {parent_name!r}")
        base = _resolve(policies, parent_name, source, (*seen, name))
    elif source != DEFAULT_POLICY_PATH or name != "default":
        base = _resolve(_read(DEFAULT_POLICY_PATH), "default", DEFAULT_POLICY_PATH, ())
    else:
        base = {}
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in raw.items():
        if key == "extends":
            continue
        if key in _TABLES:
            if not isinstance(value, dict):
                raise PolicyError(f"{source}: [policies.{name}] {key} must be a table")
            merged.setdefault(key, {}).update(value)
        else:
            merged[key] = value
    return merged


def _build(name: str, raw: Mapping[str, Any], source: Path) -> PolicySet:
    where = f"{source} [policies.{name}]"

    def duration(value: Any, key: str) -> Duration:
        if not isinstance(value, str):
            raise PolicyError(f'{where} {key}: expected a duration string like "15wd"')
        try:
            return Duration.parse(value)
        except ValueError as exc:
            raise PolicyError(f"{where} {key}: {exc}") from None

    def required(key: str) -> Any:
        if key not in raw:
            raise PolicyError(f"{where}: 缺少 / missing {key!r}")
        return raw[key]

    def boolean(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise PolicyError(f"{where} {key}: expected true or false")
        return value

    rule_raw = raw.get("rule", {})
    unknown_rule = set(rule_raw) - {"start_day_counts", "end_at"}
    if unknown_rule:
        raise PolicyError(f"{where} rule: unknown keys {sorted(unknown_rule)}")
    try:
        rule = CountingRule(
            start_day_counts=bool(rule_raw.get("start_day_counts", False)),
            end_at=rule_raw.get("end_at", "end_of_day"),
        )
    except ValueError as exc:
        raise PolicyError(f"{where} rule: {exc}") from None
    warn = raw.get("warnings", {})
    unknown_warn = set(warn) - {"at_risk_remaining", "at_risk_fraction"}
    if unknown_warn:
        raise PolicyError(f"{where} warnings: unknown keys {sorted(unknown_warn)}")
    fraction = warn.get("at_risk_fraction", 0.8)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise PolicyError(f"{where} warnings.at_risk_fraction: expected a number")
    maps = {
        key: MappingProxyType({k: duration(v, f"{key}.{k}") for k, v in raw.get(key, {}).items()})
        for key in _MAPPINGS
    }
    try:
        office = OfficeHours.parse(raw["office_hours"]) if "office_hours" in raw else None
    except ValueError as exc:
        raise PolicyError(f"{where} office_hours: {exc}") from None
    try:
        return PolicySet(
            name=name,
            rule=rule,
            transfer=duration(required("transfer"), "transfer"),
            return_window=duration(required("return_window"), "return_window"),
            close_default=duration(required("close_default"), "close_default"),
            close_by_request_type=maps["close_by_request_type"],
            close_by_category=maps["close_by_category"],
            legal=maps["legal"],
            rework=duration(required("rework"), "rework"),
            supervision=duration(required("supervision"), "supervision"),
            at_risk_remaining=duration(warn.get("at_risk_remaining", "1wd"), "at_risk_remaining"),
            at_risk_fraction=float(fraction),
            pause_enabled=boolean("pause_enabled", False),
            restart_close_on_redispatch=boolean("restart_close_on_redispatch", True),
            office_hours=office or DEFAULT_OFFICE_HOURS,
            description=str(raw.get("description", "")),
        )
    except PolicyError as exc:
        if str(exc).startswith(str(source)):
            raise
        raise PolicyError(f"{where}: {exc}") from None
