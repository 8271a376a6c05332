"""The demo city (演示市) bundled as data: gazetteer, dispatch catalogue and unit list.

Tests, the bench and the application's demo mode load the same files; a real city replaces
them with its own CSVs without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from routing.catalogue import Catalogue
from routing.datafile import DataFileError, read_rows
from routing.gazetteer import Gazetteer
from routing.units import UnitDirectory, UnitInfo

DATA = Path(str(resources.files("routing") / "data"))


def demo_units(path: Path = DATA / "demo_units.csv") -> list[UnitInfo]:
    """The demo units with synthetic ids 1..n in file order (parents come before children)."""
    ids: dict[str, int] = {}
    units: list[UnitInfo] = []
    for line, row in read_rows(path, ("code", "name", "kind", "parent")):
        if row["parent"] and row["parent"] not in ids:
            raise DataFileError(str(path), line, f"parent {row['parent']} must come before {row['code']}")
        ids[row["code"]] = len(ids) + 1
        units.append(UnitInfo(ids[row["code"]], row["code"], row["name"], row["kind"],
                              ids.get(row["parent"]), row.get("territory") or None))
    return units


@dataclass(frozen=True)
class DemoCity:
    gazetteer: Gazetteer
    catalogue: Catalogue
    directory: UnitDirectory


def load_demo_city() -> DemoCity:
    return DemoCity(Gazetteer.from_csv(DATA / "demo_gazetteer.csv"),
                    Catalogue.from_csv(DATA / "demo_catalogue.csv"),
                    UnitDirectory(demo_units()))
