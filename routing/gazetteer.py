"""The city's places: districts → streets/townships → communities, plus compounds, landmarks, roads.

Routing by territory (属地, CQ §12(二)1) needs to turn "桂花苑小区3栋" into 东城区东华街道; the
gazetteer is the data that makes this possible. It is loaded from an admin-editable CSV so a
real city can replace the demo one without code changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from routing.datafile import DataFileError, read_rows
from routing.matcher import LongestMatcher, Match

Level = Literal["city", "district", "street", "community", "compound", "landmark", "road"]
LEVELS: tuple[Level, ...] = ("city", "district", "street", "community", "compound", "landmark", "road")
# Administrative levels, from the top; compounds, landmarks and roads inherit theirs from the parent.
ADMIN_LEVELS: tuple[Level, ...] = ("city", "district", "street", "community")


@dataclass(frozen=True)
class Place:
    """One named place. `parent` is the code of the enclosing place (None for the city)."""

    code: str
    name: str
    level: Level
    parent: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlaceMention:
    """A place found in a text: where, which spelling, and which place."""

    start: int
    end: int
    surface: str
    place: Place


class Gazetteer:
    """Places by code, their ancestor chains, and a matcher over every name and alias."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places: dict[str, Place] = {}
        for p in places:
            if p.code in self.places:
                raise ValueError(f"duplicate place code {p.code}")
            self.places[p.code] = p
        for p in self.places.values():
            if p.parent is not None and p.parent not in self.places:
                raise ValueError(f"place {p.code} has unknown parent {p.parent}")
        for p in self.places.values():
            self.chain(p.code)  # raises on cycles
        # Official names first so that an alias never shadows another place's real name.
        patterns = [(p.name, p.code) for p in self.places.values()]
        patterns += [(a, p.code) for p in self.places.values() for a in p.aliases]
        self._matcher: LongestMatcher[str] = LongestMatcher(patterns)

    def __len__(self) -> int:
        return len(self.places)

    def __contains__(self, code: object) -> bool:
        return code in self.places

    def get(self, code: str) -> Place:
        return self.places[code]

    def chain(self, code: str) -> list[Place]:
        """The place and its ancestors, innermost first."""
        out: list[Place] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None:
            if current in seen:
                raise ValueError(f"cycle in the gazetteer at {current}")
            seen.add(current)
            place = self.places[current]
            out.append(place)
            current = place.parent
        return out

    def ancestor(self, code: str, level: Level) -> Place | None:
        """The enclosing place of the given administrative level (the place itself if it is one)."""
        return next((p for p in self.chain(code) if p.level == level), None)

    def city(self) -> Place | None:
        return next((p for p in self.places.values() if p.level == "city"), None)

    def full_name(self, code: str) -> str:
        """District + street + community + the place itself, e.g. 东城区东华街道桂花社区."""
        parts = [p.name for p in reversed(self.chain(code)) if p.level != "city"]
        return "".join(parts)

    def mentions(self, text: str) -> list[PlaceMention]:
        """Every place named in `text` (leftmost-longest, non-overlapping)."""
        found: list[Match[str]] = self._matcher.find(text)
        return [PlaceMention(m.start, m.end, m.key, self.places[m.value]) for m in found]

    # ---- loading -----------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path_or_text: Path | str) -> Gazetteer:
        """Load `code,name,level,parent,aliases` rows (aliases separated by `|`)."""
        places: list[Place] = []
        lines: dict[str, int] = {}
        source = None
        for line, row in read_rows(path_or_text, ("code", "name", "level", "parent")):
            source = source or (str(path_or_text) if "\n" not in str(path_or_text) else "<text>")
            code, name, level = row["code"], row["name"], row["level"]
            if not code or not name:
                raise DataFileError(source, line, "code and name are required")
            if level not in LEVELS:
                raise DataFileError(source, line, f"level {level!r} is not one of {', '.join(LEVELS)}")
            if code in lines:
                raise DataFileError(source, line, f"duplicate code {code} (first on line {lines[code]})")
            lines[code] = line
            aliases = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
            places.append(Place(code, name, level, row["parent"] or None, aliases))
        for p in places:
            if p.parent is not None and p.parent not in lines:
                raise DataFileError(source or "<text>", lines[p.code], f"unknown parent {p.parent}")
        return cls(places)


def demo_gazetteer_path() -> Path:
    """The bundled CSV of the demo city (演示市) used by hotline/seed.py."""
    return Path(str(resources.files("routing") / "data" / "demo_gazetteer.csv"))


def load_demo_gazetteer() -> Gazetteer:
    return Gazetteer.from_csv(demo_gazetteer_path())
