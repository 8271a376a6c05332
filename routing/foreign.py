"""Out-of-city detection: the caller names a place that is not in this city's gazetteer.

A matter located in another city belongs to that city's 12345 (or goes through the national
platform / inter-city transfer, CQ §8(二)); dispatching it to a local street would only cost a
return. We look for province and city names, placeholder names (某某省) and the masked codes
of the public data set (A市, A3区, J10县). Callers run this on text from which the loaded
gazetteer's own places were blanked out, so masked names count as foreign only when they are
not places of the loaded gazetteer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.matcher import LongestMatcher

PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
    "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
CITIES = (
    "广州", "深圳", "成都", "武汉", "杭州", "南京", "西安", "长沙", "郑州", "济南", "青岛", "沈阳",
    "大连", "哈尔滨", "长春", "石家庄", "太原", "合肥", "福州", "厦门", "南昌", "南宁", "昆明",
    "贵阳", "兰州", "西宁", "银川", "乌鲁木齐", "拉萨", "呼和浩特", "海口", "三亚", "苏州", "无锡",
    "宁波", "温州", "东莞", "佛山", "珠海", "汕头", "惠州", "中山", "常州", "徐州", "烟台", "洛阳",
    "株洲", "湘潭", "衡阳", "岳阳", "常德", "郴州", "襄阳", "宜昌", "绵阳", "遵义", "桂林", "柳州",
)
# Bare names (without 省/市) are only places when they are not the start of a street name
# (北京路, 南京东路, 中山大道 exist in most Chinese cities) or a fixed phrase (北京时间).
_NOT_AFTER_BARE = set("路街道巷里东西南北中大时")
# Bare names that are too common as words or local names to mean a city on their own.
_NEVER_BARE = {"中山", "吉林", "海南", "台湾"}
# 某某省 / 某市, and the masked codes of the public data: A市, A3区, J10县 (a bare "B区" is a
# section of a compound, not a district, so districts and counties need the digits).
_PLACEHOLDER = re.compile(
    r"(?<![A-Za-z0-9])(?:某某?(?:省|自治区|市|县|区)|[A-Z](?:市|省)|[A-Z]\d{1,2}(?:市|县|区))")


@dataclass(frozen=True)
class ForeignMention:
    """A place outside the city: where, and the name as written."""

    start: int
    end: int
    name: str


def _patterns() -> list[tuple[str, bool]]:
    """(pattern, is_bare) pairs; full forms first so they win over their bare prefix."""
    out: list[tuple[str, bool]] = []
    for p in PROVINCES:
        out += [(p + "省", False), (p + "自治区", False)]
    out += [(m + "市", False) for m in MUNICIPALITIES]
    out += [(c + "市", False) for c in CITIES]
    out += [(p, True) for p in (*PROVINCES, *CITIES) if p not in _NEVER_BARE]
    return out


class ForeignDetector:
    """Finds names of places outside the city. Build once; `find` is one automaton pass + a regex."""

    def __init__(self, exclude: set[str] | None = None) -> None:
        """`exclude`: names that are local in this city (e.g. a district called 中山区)."""
        excluded = exclude or set()
        self._matcher: LongestMatcher[bool] = LongestMatcher(
            (name, bare) for name, bare in _patterns() if name not in excluded)

    def find(self, text: str) -> list[ForeignMention]:
        out: list[ForeignMention] = []
        for m in self._matcher.find(text):
            if m.value and m.end < len(text) and text[m.end] in _NOT_AFTER_BARE:
                continue
            # "广东省" is matched whole; "湖南" inside "湖南省" never reaches here thanks to longest-match.
            out.append(ForeignMention(m.start, m.end, m.key))
        taken = [(m.start, m.end) for m in out]
        for rx in _PLACEHOLDER.finditer(text):
            if not any(s < rx.end() and rx.start() < e for s, e in taken):
                out.append(ForeignMention(rx.start(), rx.end(), rx.group(0)))
        return sorted(out, key=lambda m: m.start)
