"""Where is the matter? Resolving the territory (属地) from the caller's words and the address field.

CQ §12(二)1 sends a concrete local matter to the street/township; §12(二)2 sends a
cross-district one to a city-level unit or district government with a lead and co-units.
Both need the territory and how sure we are of it. The address field was typed or confirmed by
the agent, so it wins over the free text when they disagree; the text can still refine an
address that only names the district. Disagreements are reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from routing.foreign import ForeignDetector
from routing.gazetteer import Gazetteer, PlaceMention

TerritoryLevel = Literal["community", "street", "district", "city", "unknown"]
Source = Literal["address", "text", "none"]

# How much we trust a territory, by where it came from (address beats free text).
CONFIDENCE = {"address": 0.95, "text": 0.8, "refined": 0.85}
CONFLICT_FACTOR = 0.7


@dataclass(frozen=True)
class Territory:
    """The resolved territory. Codes are gazetteer place codes; `districts` lists every district
    of the winning source (two or more → a cross-district matter)."""

    level: TerritoryLevel = "unknown"
    district: str | None = None
    street: str | None = None
    community: str | None = None
    districts: tuple[str, ...] = ()
    confidence: float = 0.0
    source: Source = "none"
    label: str = ""
    mentions: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    out_of_city: bool = False

    @property
    def cross_district(self) -> bool:
        return len(self.districts) > 1

    @property
    def catalogue_level(self) -> str:
        """The level the dispatch catalogue speaks of: street / district / city / unknown."""
        return "street" if self.level == "community" else self.level

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cross_district"] = self.cross_district
        return d


@dataclass
class _Reading:
    """What one source (address or text) says."""

    mentions: list[PlaceMention] = field(default_factory=list)
    explicit: list[str] = field(default_factory=list)   # districts named as districts
    implied: list[str] = field(default_factory=list)    # districts of streets, compounds, roads …
    streets: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)
    city: bool = False
    foreign: list[str] = field(default_factory=list)

    @property
    def local(self) -> bool:
        return bool(self.mentions)

    @property
    def districts(self) -> list[str]:
        return _unique(self.explicit + self.implied)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class TerritoryResolver:
    """Gazetteer + out-of-city detector, built once and reused for every call."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        local_names = {p.name for p in gazetteer.places.values()}
        local_names |= {a for p in gazetteer.places.values() for a in p.aliases}
        self.foreign = ForeignDetector(exclude=local_names)

    def _read(self, text: str) -> _Reading:
        g = self.gazetteer
        r = _Reading(mentions=g.mentions(text))
        blanked = list(text)
        for m in r.mentions:
            blanked[m.start:m.end] = "　" * (m.end - m.start)
            code = m.place.code
            if m.place.level == "city":
                r.city = True
                continue
            district = g.ancestor(code, "district")
            street = g.ancestor(code, "street")
            community = g.ancestor(code, "community")
            if district is not None:
                (r.explicit if m.place.level == "district" else r.implied).append(district.code)
            if street is not None:
                r.streets.append(street.code)
            if community is not None:
                r.communities.append(community.code)
        r.foreign = _unique([f.name for f in self.foreign.find("".join(blanked))])
        return r

    def resolve(self, text: str | None, address: str | None) -> Territory:
        addr = self._read(address or "")
        said = self._read(text or "")
        conflicts: list[str] = []
        foreign = tuple(_unique(addr.foreign + said.foreign))
        if addr.local or addr.foreign:
            primary, source, other = addr, "address", said
        elif said.local:
            primary, source, other = said, "text", None
        else:
            return Territory(foreign=foreign, out_of_city=bool(foreign), source="none",
                             mentions=(), label="")
        if not primary.local:  # the address names only places outside the city
            return Territory(foreign=foreign, out_of_city=True, source=source,  # type: ignore[arg-type]
                             label="、".join(foreign))
        return self._decide(primary, source, other, conflicts, foreign)

    def _decide(self, primary: _Reading, source: str, other: _Reading | None, conflicts: list[str],
                foreign: tuple[str, ...]) -> Territory:
        g = self.gazetteer
        name = lambda code: g.get(code).name  # noqa: E731
        confidence = CONFIDENCE[source]
        mentions = tuple(_unique([m.surface for m in primary.mentions]
                                 + ([m.surface for m in other.mentions] if other else [])))
        explicit, implied = _unique(primary.explicit), _unique(primary.implied)
        # A street of one district written next to another district's name is a mistake, not a
        # cross-district matter: the more specific place wins and the conflict is reported.
        if len(explicit) == 1 and any(d != explicit[0] for d in implied):
            wrong = [d for d in implied if d != explicit[0]]
            conflicts.append(f"{name(explicit[0])}与{'、'.join(name(d) for d in wrong)}的地名不一致，"
                             f"以更具体的地名为准")
            confidence *= CONFLICT_FACTOR
            districts = wrong[:1] if len(_unique(wrong)) == 1 else wrong
        elif len(explicit) >= 2:
            districts = explicit
        else:
            districts = _unique(explicit + implied)
        if len(districts) > 1:
            return Territory(level="district", districts=tuple(districts), confidence=confidence,
                             source=source, label="、".join(name(d) for d in districts),  # type: ignore[arg-type]
                             mentions=mentions, conflicts=tuple(conflicts), foreign=foreign)
        district = districts[0] if districts else None
        streets = [s for s in _unique(primary.streets) if g.ancestor(s, "district") is not None
                   and g.ancestor(s, "district").code == district]  # type: ignore[union-attr]
        communities = [c for c in _unique(primary.communities)
                       if g.ancestor(c, "street") is not None
                       and g.ancestor(c, "street").code in streets]  # type: ignore[union-attr]
        if other is not None and other.local:
            # The free text may refine the address (address says 东城区, text says 桂花苑小区).
            other_districts = other.districts
            if district is not None and any(d != district for d in other_districts):
                others = "、".join(name(d) for d in other_districts if d != district)
                conflicts.append(f"来电内容提到{others}，"
                                 f"与地址（{name(district)}）不一致，以地址为准")
            if district is None and len(other_districts) == 1:
                district = other_districts[0]
                confidence = CONFIDENCE["refined"]
            if district is not None and not streets:
                more = [s for s in _unique(other.streets)
                        if g.ancestor(s, "district").code == district]  # type: ignore[union-attr]
                if len(more) == 1:
                    streets = more
                    confidence = min(confidence, CONFIDENCE["refined"])
                    communities = [c for c in _unique(other.communities)
                                   if g.ancestor(c, "street").code == more[0]]  # type: ignore[union-attr]
        street = streets[0] if len(streets) == 1 else None
        if len(streets) > 1:
            conflicts.append(f"涉及{'、'.join(name(s) for s in streets)}，街道不唯一")
        community = communities[0] if street and len(_unique(communities)) == 1 else None
        finest = community or street or district
        if finest is not None:
            level = "community" if community else "street" if street else "district"
            label = g.full_name(finest)
        elif primary.city or (other is not None and other.city):
            level, label = "city", (g.city().name if g.city() else "全市")  # type: ignore[union-attr]
        else:
            level, label = "unknown", ""
        return Territory(level=level, district=district, street=street, community=community,  # type: ignore[arg-type]
                         districts=(district,) if district else (), confidence=round(confidence, 3),
                         source=source, label=label, mentions=mentions,  # type: ignore[arg-type]
                         conflicts=tuple(conflicts), foreign=foreign)
