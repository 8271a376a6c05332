"""The unit directory and its agreement with the demo city of the application."""

from __future__ import annotations

import ast

from routing import DemoCity, UnitDirectory, demo_units, link_territories
from routing.demo import DATA

SEED = DATA.parent.parent / "hotline" / "seed.py"


def _seed_units() -> list[tuple[str, str, str, str | None]]:
    """hotline/seed.py UNITS, read without importing the application."""
    tree = ast.parse(SEED.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "UNITS":
            return ast.literal_eval(node.value)  # type: ignore[arg-type]
    raise AssertionError("UNITS not found")


def test_demo_units_are_exactly_the_seed_units() -> None:
    by_id = {u.id: u for u in demo_units()}
    mine = [(u.code, u.name, u.kind, by_id[u.parent_id].code if u.parent_id else None) for u in demo_units()]
    assert mine == _seed_units()


def test_lookups(city: DemoCity) -> None:
    d = city.directory
    gh = d.by_code("DC-DH-GH")
    assert gh is not None and [u.code for u in d.chain(gh)] == ["DC-DH-GH", "DC-DH", "DC", "HL"]
    assert [u.code for u in d.in_district("district_dept", "DC")] == ["DC-ZJ"]
    assert [u.code for u in d.in_district("district_dept", "NH", "城市管理")] == ["NH-CG"]
    assert d.for_territory("street", "XC-XS").code == "XC-XS"  # type: ignore[union-attr]
    assert d.coordinator().code == "HL"  # type: ignore[union-attr]
    assert d.city_level(d.by_code("RSJ-JC")) and not d.city_level(d.by_code("DC-ZJ"))  # type: ignore[arg-type]


def test_link_territories_from_names(city: DemoCity) -> None:
    from dataclasses import replace
    bare = [replace(u, territory_code=None, code=f"X{u.id}") for u in demo_units()]
    linked = UnitDirectory(link_territories(bare, city.gazetteer))
    assert linked.for_territory("street", "DC-DH").name == "东华街道办事处"  # type: ignore[union-attr]
    assert linked.for_territory("community", "DC-DH-GH").name == "东华街道桂花社区"  # type: ignore[union-attr]
    assert linked.for_territory("district_gov", "NH").name == "南湖区人民政府"  # type: ignore[union-attr]


def test_gazetteer_has_60_places_and_every_territorial_unit_has_a_place(city: DemoCity) -> None:
    assert len(city.gazetteer) >= 60
    for u in city.directory.units:
        if u.kind in ("district_gov", "street", "community"):
            assert u.territory_code in city.gazetteer, u.code
