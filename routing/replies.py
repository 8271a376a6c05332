"""Weak labels from official replies: which unit answered a citizen's message.

Replies on the public board name their unit in a handful of ways: a signature at the end
(…感谢您的支持。 A7县教育局 2019年5月1日), a header (A市住房和城乡建设局关于…的回复), a forward
(已转至安沙镇核实办理), or the investigating unit (经A5区教育局调查核实). We try them in that order
(the signature is the most reliable) and normalise the name so that 县住建局 in an A7县 reply and
A7县住房和城乡建设局 count as the same unit. Generic references (相关部门, 我单位) are not units.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

Method = Literal["signature", "header", "forward", "investigation", "self", "mention"]

_WS = re.compile(r"[\s\u3000\xa0]+")
_DATE = re.compile(
    r"(?:\d{4}|二[〇0○一二三四五六七八九零]{3})\s*[年\-/.]\s*[\d一二三四五六七八九十]{1,3}\s*[月\-/.]"
    r"\s*[\d一二三四五六七八九十]{0,3}\s*[日号月]?\s*$")
# Suffixes of an organisation name, longest first so that 委员会 wins over 委.
_SUFFIX = ("人民政府", "街道办事处", "委员会", "办公室", "管理处", "管理局", "管理所", "服务中心", "中心",
           "分局", "支队", "大队", "中队", "政府", "街道", "公司", "集团", "医院", "学校", "局", "委", "厅",
           "办", "镇",
           "乡", "所", "站", "院", "处")
_SUF = "|".join(_SUFFIX)
_CH = r"[A-Z0-9\u4e00-\u9fff（）()]"
_SIGNATURE = re.compile(rf"(?:^|[。！!；;：:，,\s)）”\"])\s*({_CH}{{1,24}}?(?:{_SUF}))\s*[。.]?$")
_HEADER = re.compile(rf"^\s*({_CH}{{2,24}}?(?:{_SUF}))\s*(?:关于|对|[：:]|回复|答复)")
_FORWARD = re.compile(rf"(?:已?转(?:交至|交给|交|至|到|给)|交由|已由)\s*({_CH}{{2,20}}?(?:{_SUF}))")
_INVESTIGATED = re.compile(
    rf"经\s*({_CH}{{2,20}}?(?:{_SUF}))(?:等)?(?:相关|有关)?(?:部门|单位)?(?:工作人员)?"
    rf"(?:进行|现场|认真|迅速|及时|立即|组织|深入)?(?:调查|核实|核查|了解|研究|查实)")
# Characters of running prose, never of a unit's name ("谢您对我镇", "商业广场没有业主委员会").
_PROSE = re.compile(r"[的了是在没有我您你对将已及向由到于接涉同并入要求拥以上沿线一经为该]")
_GENERIC = re.compile(r"^(?:相关|有关|我|该|各|本|贵|职能|上级|主管|当地|属地|所在|您|你|其|此|原|网友)")
_NOT_UNIT = re.compile(r"(?:学校|医院|公司|集团|小区)$|^(?:县|市|区|省)?(?:委|办|所|站|院|处|镇|乡)$")
_MASKED = re.compile(r"[A-Z]\d{0,2}(?:市|县|区)")
# "我镇 / 我乡 / 我街道" speaks for the township or street the reply names.
_SELF = re.compile(r"我(镇|乡|街道)")
# Township names are two characters (安沙镇); street names two or three (书院路街道).
# The optional first character is consumed so that the name is the *last* two before 镇 (或黄花镇 → 黄花镇).
_TOWNSHIP = re.compile(r"((?<=[^\u4e00-\u9fff])|[\u4e00-\u9fff]?)([\u4e00-\u9fff]{2})(镇|乡)"
                       r"|([\u4e00-\u9fff]{2,3}?)(街道)")
# A full unit name under a masked place (A7县教育局, A市住房和城乡建设局) anywhere in the reply.
_COMMITTEE = re.compile(r"^[A-Z]\d{0,2}[市县区](?:委|街道)$")  # the Party committee / "a street" as context
_MENTION_SUFFIX = "|".join(s for s in _SUFFIX if len(s) > 1 or s in "局委")
_MENTION = re.compile(rf"[A-Z]\d{{0,2}}(?:市|县|区)[\u4e00-\u9fff]{{0,14}}?(?:{_MENTION_SUFFIX})")

# Common short forms → full names (the boards mix both).
ABBREVIATIONS = (
    ("住建局", "住房和城乡建设局"), ("住建委", "住房和城乡建设委员会"), ("人社局", "人力资源和社会保障局"),
    ("环保局", "环境保护局"), ("交通局", "交通运输局"), ("发改委", "发展和改革委员会"),
    ("发改局", "发展和改革局"), ("卫计局", "卫生和计划生育局"), ("卫健委", "卫生健康委员会"),
    ("城管局", "城市管理和行政执法局"), ("国土局", "国土资源局"), ("规划局", "城乡规划局"),
    ("市监局", "市场监督管理局"), ("房产局", "房产管理局"), ("教体局", "教育体育局"),
)


@dataclass(frozen=True)
class ExtractedUnit:
    """The answering unit as written and normalised, and which clue found it."""

    raw: str
    name: str
    method: Method


def clean(text: str) -> str:
    """Collapse every kind of whitespace (the replies mix \\u3000, \\xa0 and line breaks)."""
    return _WS.sub(" ", text).strip()


def normalize_unit(raw: str, context: str = "") -> str:
    """Canonical unit name. A bare 县教育局 gets the masked county most named in `context`
    (A7县教育局); townships and streets drop the county prefix (their names are unique)."""
    name = re.sub(r"[\s（）()]", "", raw)
    name = re.sub(r"^中共", "", name)
    for short, full in ABBREVIATIONS:
        if name.endswith(short) and not name.endswith(full):
            name = name[: -len(short)] + full
            break
    name = re.sub(r"(?<!人民)政府$", "人民政府", name)
    name = re.sub(r"街道(?:办)?$", "街道办事处", name)
    name = re.sub(r"([镇乡])$", r"\1人民政府", name)
    name = re.sub(r"^[A-Z]\d{0,2}[县区市](?=[\u4e00-\u9fff]{2,6}(?:街道办事处|[镇乡]人民政府)$)", "", name)
    if name[:1] in ("县", "区", "市") and not _MASKED.match(name):
        level = name[0]
        seen = Counter(m for m in _MASKED.findall(context) if m.endswith(level))
        if seen:
            name = seen.most_common(1)[0][0] + name[1:]
    return name


def _acceptable(raw: str) -> bool:
    core = raw.strip("（）() ")
    return (2 <= len(core) <= 24 and not _GENERIC.match(core) and not _PROSE.search(core)
            and not _NOT_UNIT.search(core)
            and not core.startswith(("网友", "您好", "你好")))


def extract_unit(reply: str, message: str = "") -> ExtractedUnit | None:
    """The unit that answered, or None. `message` (subject + body) helps resolve 县/区 prefixes."""
    text = clean(reply)
    tail = text
    for _ in range(2):  # date, then possibly a second date or a trailing full stop
        tail = _DATE.sub("", tail).rstrip(" 。.")
    context = f"{text} {message}"
    candidates: list[tuple[Method, re.Match[str] | None]] = [
        ("signature", _SIGNATURE.search(tail[-40:])),
        ("header", _HEADER.search(text[:60])),
        ("forward", _FORWARD.search(text)),
        ("investigation", _INVESTIGATED.search(text)),
    ]
    for method, m in candidates:
        if m is not None and _acceptable(m.group(1)):
            raw = m.group(1)
            return ExtractedUnit(raw, normalize_unit(raw, context), method)
    if (me := _SELF.search(text)) is not None:
        kind = me.group(1)
        names: Counter[str] = Counter()
        for m in _TOWNSHIP.finditer(text):
            name, suffix = (m.group(2), m.group(3)) if m.group(3) else (m.group(4), m.group(5))
            if (suffix == kind and not _GENERIC.match(name) and not _PROSE.search(name)
                    and name[0] not in "县市区"):
                names[name + suffix] += 1
        if names:
            raw = names.most_common(1)[0][0]
            return ExtractedUnit(raw, normalize_unit(raw, context), "self")
    mentions = Counter(m for m in _MENTION.findall(text) if _acceptable(m) and not _COMMITTEE.match(m))
    # A reply mentions the city government as context far more often than it answers for it.
    departments = Counter({k: v for k, v in mentions.items() if not k.endswith("政府")})
    if departments or mentions:
        raw = (departments or mentions).most_common(1)[0][0]
        return ExtractedUnit(raw, normalize_unit(raw, context), "mention")
    return None
