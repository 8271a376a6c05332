"""The dispatch catalogue (派单目录): which kind of unit takes which matter at which territory level.

It is data, not code, because each city negotiates its own list of responsibilities and
revises it often; admins edit the CSV and the loader reports mistakes by line. A row reads
"category prefix (× request types) at territory level → target [, co-unit] [, concrete handler]".
The most specific row wins: longer category prefix, then a row naming request types, then a row
naming the level, then the earlier line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from routing.datafile import DataFileError, read_rows
from routing.targets import TERRITORIAL, Target, parse_targets
from routing.units import UnitDirectory

LEVELS = ("street", "district", "city", "unknown", "*")
REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")


class CatalogueError(DataFileError):
    """A catalogue row is invalid (file and line are in the message)."""


@dataclass(frozen=True)
class Rule:
    line: int
    category: str                      # a prefix of 一级/二级, or "*" for any
    request_types: frozenset[str]      # empty: any request type
    levels: frozenset[str]             # street / district / city / unknown; empty: any level
    targets: tuple[Target, ...]
    co_targets: tuple[Target, ...] = ()
    handler: tuple[Target, ...] = ()   # the concrete handler under the lead (具体承办单位, CQ §6)
    note: str = ""

    def matches(self, category: str, request_type: str | None, level: str) -> bool:
        prefix = self.category == "*" or category == self.category or category.startswith(self.category + "/")
        return (prefix
                and (not self.request_types or request_type in self.request_types)
                and (not self.levels or level in self.levels))

    def specificity(self) -> tuple[int, int, int, int]:
        return (0 if self.category == "*" else len(self.category), bool(self.request_types),
                bool(self.levels), -self.line)


class Catalogue:
    def __init__(self, rules: list[Rule], source: str = "<rules>") -> None:
        self.rules = rules
        self.source = source

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, category: str, request_type: str | None, level: str) -> Rule | None:
        """The most specific rule for a category at a territory level (None: nobody is named)."""
        found = [r for r in self.rules if r.matches(category, request_type, level)]
        return max(found, key=Rule.specificity) if found else None

    def check_units(self, directory: UnitDirectory) -> None:
        """Raise CatalogueError on the first `unit:CODE` the directory does not know."""
        for r in self.rules:
            for t in (*r.targets, *r.co_targets, *r.handler):
                if t.kind == "unit" and t.arg not in directory:
                    raise CatalogueError(self.source, r.line, f"unknown unit code {t.arg}")

    @classmethod
    def from_csv(cls, path_or_text: Path | str) -> Catalogue:
        """Load `category,request_type,level,target,co_target,handler,note` rows."""
        is_text = isinstance(path_or_text, str) and "\n" in path_or_text
        source = "<text>" if is_text else str(path_or_text)
        rules: list[Rule] = []
        try:
            for line, row in read_rows(path_or_text, ("category", "level", "target")):
                rules.append(_rule(source, line, row))
        except CatalogueError:
            raise
        except DataFileError as e:  # header or cell-count problems found by the reader
            raise CatalogueError(e.source, e.line, e.message) from e
        if not rules:
            raise CatalogueError(source, 1, "no rules")
        return cls(rules, source)


def _rule(source: str, line: int, row: dict[str, str]) -> Rule:
    def fail(msg: str) -> CatalogueError:
        return CatalogueError(source, line, msg)

    category = row["category"]
    if not category:
        raise fail("category is required (use * for any)")
    types = frozenset(t.strip() for t in row.get("request_type", "").split("|") if t.strip())
    unknown = sorted(types - set(REQUEST_TYPES))
    if unknown:
        raise fail(f"unknown request type {', '.join(unknown)} (expected {'/'.join(REQUEST_TYPES)})")
    levels = frozenset(v.strip() for v in (row["level"] or "*").split("|") if v.strip()) - {"*"}
    bad = sorted(levels - set(LEVELS))
    if bad:
        raise fail(f"level {', '.join(bad)} is not one of {', '.join(LEVELS)}")
    if not row["target"]:
        raise fail("target is required")
    try:
        targets = parse_targets(row["target"])
        co = parse_targets(row["co_target"]) if row.get("co_target") else ()
        handler = parse_targets(row["handler"]) if row.get("handler") else ()
    except ValueError as e:
        raise fail(str(e)) from e
    for t in (*targets, *co, *handler):
        if t.kind in ("street", "community") and levels != {"street"}:
            raise fail(f"target {t.kind} needs level street (the street must be known), "
                       f"not {'|'.join(sorted(levels)) or '*'}")
    # 国办函〔2025〕66号: departments must not push their own work down to streets and
    # communities; a policy consultation is answered by the department that owns the policy.
    if types and types <= {"咨询"} and any(t.kind in TERRITORIAL - {"district_dept"} for t in targets):
        raise fail("a consultation rule must not send the matter down to a street, community or "
                   "district government (国办函〔2025〕66号): target the responsible department")
    return Rule(line, category, types, levels, targets, co, handler, row.get("note", ""))
