"""The dispatch catalogue: the demo rules and the loader's errors."""

from __future__ import annotations

import pytest

from routing import Catalogue, CatalogueError, DemoCity
from routing.demo import DATA


def test_demo_catalogue_covers_the_17_demo_categories_with_known_units(city: DemoCity) -> None:
    import csv
    with (DATA.parent.parent / "classifier" / "data" / "demo_corpus.csv").open(encoding="utf-8") as fh:
        categories = {row["category"] for row in csv.DictReader(fh)}
    assert len(categories) == 17
    for c in categories:
        for level in ("street", "district", "city", "unknown"):
            assert city.catalogue.match(c, "投诉", level) is not None, (c, level)
    city.catalogue.check_units(city.directory)


def test_most_specific_rule_wins(city: DemoCity) -> None:
    rule = city.catalogue.match("城乡建设/物业管理", "咨询", "street")
    assert rule is not None and str(rule.targets[0]) == "unit:ZJW"
    rule = city.catalogue.match("城乡建设/物业管理", "投诉", "street")
    assert rule is not None and str(rule.targets[0]) == "district_dept:住房和城乡建设"


HEADER = "category,request_type,level,target,co_target,handler,note\n"


@pytest.mark.parametrize(("row", "message"), [
    ("环境保护/噪声污染,,street,nowhere,,,", "unknown target kind 'nowhere'"),
    ("环境保护/噪声污染,,planet,street,,,", "level planet"),
    ("环境保护/噪声污染,抱怨,street,street,,,", "unknown request type 抱怨"),
    ("环境保护/噪声污染,,district,street,,,", "needs level street"),
    ("环境保护/噪声污染,,street,unit:,,,", "needs an argument"),
    (",,street,street,,,", "category is required"),
    ("劳动和社会保障/社保医保,咨询,street,street,,,", "国办函〔2025〕66号"),
])
def test_loading_errors_name_the_line(row: str, message: str) -> None:
    text = HEADER + "# a comment line\n" + "交通运输/公交出租,,*,unit:JTJ,,,\n" + row + "\n"
    with pytest.raises(CatalogueError) as err:
        Catalogue.from_csv(text)
    assert err.value.line == 4 and message in str(err.value)
    assert str(err.value).startswith("<text>:4:")


def test_missing_column_and_unknown_unit(city: DemoCity, tmp_path) -> None:
    with pytest.raises(CatalogueError, match="missing column"):
        Catalogue.from_csv("category,level\n环境保护,street\n")
    path = tmp_path / "cat.csv"
    path.write_text(HEADER + "交通运输,,*,unit:NOPE,,,\n", encoding="utf-8")
    cat = Catalogue.from_csv(path)
    with pytest.raises(CatalogueError, match=r"cat.csv:2: unknown unit code NOPE"):
        cat.check_units(city.directory)
