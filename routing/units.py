"""The unit directory: who can receive a work order, and how units hang together.

`routing` does not know the application's database; the application hands it a list of plain
`UnitInfo` values (id, code, name, kind, parent). `territory_code` ties a district government,
street office or community to its gazetteer place; `link_territories` fills it from the names
when the application does not store it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from routing.gazetteer import Gazetteer

UnitKind = Literal["hotline", "district_gov", "city_dept", "district_dept", "street", "community", "handler"]
UNIT_KINDS: tuple[str, ...] = ("hotline", "district_gov", "city_dept", "district_dept", "street",
                               "community", "handler")
# Which gazetteer level a territorial unit kind governs.
KIND_LEVEL = {"district_gov": "district", "street": "street", "community": "community"}


@dataclass(frozen=True)
class UnitInfo:
    """A unit as routing sees it. `id` is the application's key; `code` is stable and human-typed."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None = None
    territory_code: str | None = None


class UnitDirectory:
    """Lookups over a fixed list of units: by code, by territory, by kind within a district."""

    def __init__(self, units: Iterable[UnitInfo]) -> None:
        self.units: list[UnitInfo] = list(units)
        self._by_code = {u.code: u for u in self.units}
        self._by_id = {u.id: u for u in self.units}
        if len(self._by_code) != len(self.units) or len(self._by_id) != len(self.units):
            raise ValueError("unit codes and ids must be unique")
        for u in self.units:
            if u.kind not in UNIT_KINDS:
                raise ValueError(f"unit {u.code} has unknown kind {u.kind!r}")
            if u.parent_id is not None and u.parent_id not in self._by_id:
                raise ValueError(f"unit {u.code} has unknown parent id {u.parent_id}")
        self._by_territory: dict[tuple[str, str], UnitInfo] = {
            (u.kind, u.territory_code): u for u in self.units if u.territory_code}

    def __len__(self) -> int:
        return len(self.units)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def by_code(self, code: str) -> UnitInfo | None:
        return self._by_code.get(code)

    def by_id(self, unit_id: int) -> UnitInfo | None:
        return self._by_id.get(unit_id)

    def parent(self, unit: UnitInfo) -> UnitInfo | None:
        return self._by_id.get(unit.parent_id) if unit.parent_id is not None else None

    def chain(self, unit: UnitInfo) -> list[UnitInfo]:
        """The unit and its ancestors up to the hotline, innermost first."""
        out = [unit]
        while (up := self.parent(out[-1])) is not None and up not in out:
            out.append(up)
        return out

    def children(self, unit: UnitInfo) -> list[UnitInfo]:
        return [u for u in self.units if u.parent_id == unit.id]

    def for_territory(self, kind: str, territory_code: str | None) -> UnitInfo | None:
        """The district government / street office / community governing a gazetteer place."""
        if territory_code is None:
            return None
        return self._by_territory.get((kind, territory_code))

    def in_district(self, kind: str, district_code: str | None, pattern: str | None = None) -> list[UnitInfo]:
        """Units of `kind` under the district government of `district_code` whose name matches
        `pattern` (a regular expression searched in the name)."""
        gov = self.for_territory("district_gov", district_code)
        if gov is None:
            return []
        rx = re.compile(pattern) if pattern else None
        return [u for u in self.units if u.kind == kind and gov in self.chain(u)[1:]
                and (rx is None or rx.search(u.name))]

    def of_kind(self, kind: str, pattern: str | None = None) -> list[UnitInfo]:
        rx = re.compile(pattern) if pattern else None
        return [u for u in self.units if u.kind == kind and (rx is None or rx.search(u.name))]

    def coordinator(self) -> UnitInfo | None:
        """The city-level coordinator (the hotline centre) for matters nobody clearly owns (CQ §12(二)2)."""
        found = self.of_kind("hotline")
        return found[0] if found else None

    def city_level(self, unit: UnitInfo) -> bool:
        """True for the hotline, city departments and their sub-units."""
        return any(u.kind in ("city_dept", "hotline") for u in self.chain(unit)) and not any(
            u.kind in ("district_gov", "district_dept", "street", "community") for u in self.chain(unit))


def link_territories(units: Iterable[UnitInfo], gazetteer: Gazetteer) -> list[UnitInfo]:
    """Fill `territory_code` of territorial units that lack it: same code as a place of the right
    level, else a place of that level whose name the unit's name contains (东华街道办事处 → 东华街道).
    Among name matches the longest name wins, so 东华街道桂花社区 → 桂花社区 rather than 东华街道."""
    out: list[UnitInfo] = []
    for u in units:
        level = KIND_LEVEL.get(u.kind)
        if u.territory_code or level is None:
            out.append(u)
            continue
        place = gazetteer.places.get(u.code)
        if place is None or place.level != level:
            named = [p for p in gazetteer.places.values() if p.level == level and p.name in u.name]
            place = max(named, key=lambda p: len(p.name)) if named else None
        out.append(replace(u, territory_code=place.code) if place else u)
    return out
