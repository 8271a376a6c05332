"""Target expressions of the dispatch catalogue, and resolving them to a concrete unit.

A target says *which kind* of unit takes a matter, relative to the territory: `street` (the
street office of the place), `community`, `district_gov`, `district_dept:<name regex>` (a
department of the place's district), `city_dept:<name regex>`, `unit:<code>` (a named unit) or
`coordinator` (the hotline centre). Alternatives are separated by `|` and tried in order, so
"district_dept:住房和城乡建设局|unit:ZJW-WY" reads "the district housing bureau where one exists,
else the city housing commission's 物业管理处".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.territory import Territory
from routing.units import UnitDirectory, UnitInfo

TARGET_KINDS = ("street", "community", "district_gov", "district_dept", "city_dept", "unit", "coordinator")
_NEEDS_ARG = {"district_dept": False, "city_dept": False, "unit": True}
# Target kinds that push the matter down to the territory (属地).
TERRITORIAL = frozenset({"street", "community", "district_gov", "district_dept"})

LABELS = {"street": "街道办事处", "community": "社区", "district_gov": "区政府", "district_dept": "区级部门",
          "city_dept": "市级部门", "unit": "指定单位", "coordinator": "热线中心统筹"}


@dataclass(frozen=True)
class Target:
    kind: str
    arg: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


def parse_targets(expr: str) -> tuple[Target, ...]:
    """Parse `a|b|c`; raises ValueError with a readable message."""
    out: list[Target] = []
    for part in (p.strip() for p in expr.split("|")):
        if not part:
            raise ValueError(f"empty alternative in target {expr!r}")
        kind, _, arg = part.partition(":")
        kind, arg = kind.strip(), arg.strip()
        if kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {kind!r} (expected one of {', '.join(TARGET_KINDS)})")
        if _NEEDS_ARG.get(kind) and not arg:
            raise ValueError(f"target {kind} needs an argument, e.g. {kind}:XYZ")
        if kind not in _NEEDS_ARG and arg:
            raise ValueError(f"target {kind} takes no argument")
        if arg and kind != "unit":
            try:
                re.compile(arg)
            except re.error as e:
                raise ValueError(f"bad name pattern {arg!r}: {e}") from e
        out.append(Target(kind, arg or None))
    return tuple(out)


def resolve_one(target: Target, territory: Territory, directory: UnitDirectory) -> UnitInfo | None:
    """The unit a single target designates for this territory, or None when there is none."""
    k = target.kind
    if k == "unit":
        return directory.by_code(target.arg or "")
    if k == "coordinator":
        return directory.coordinator()
    if k == "street":
        return directory.for_territory("street", territory.street)
    if k == "community":
        return directory.for_territory("community", territory.community)
    if k == "district_gov":
        return directory.for_territory("district_gov", territory.district)
    if k == "district_dept":
        found = directory.in_district("district_dept", territory.district, target.arg)
        return found[0] if found else None
    if k == "city_dept":
        found = directory.of_kind("city_dept", target.arg)
        return found[0] if found else None
    raise ValueError(f"unknown target kind {k}")


def resolve(targets: tuple[Target, ...], territory: Territory,
            directory: UnitDirectory) -> tuple[Target, UnitInfo] | None:
    """The first alternative that designates an existing unit."""
    for t in targets:
        unit = resolve_one(t, territory, directory)
        if unit is not None:
            return t, unit
    return None
