"""How the simulated 110 decides whether a matter is a police matter (警务) or not.

SH 二(一)1 draws the line: 110 "受理处置……报警、紧急求助和警务投诉", 12345 the non-urgent
requests about government management and services. A real 110 desk decides by talking to the
caller; the simulator decides by keywords so that tests and demos are predictable.
"""

from __future__ import annotations

POLICE_KEYWORDS = (
    "打架", "斗殴", "打人", "殴打", "盗", "偷", "抢", "诈骗", "骗子", "杀", "持刀", "砍", "枪",
    "伤人", "绑架", "拐", "吸毒", "贩毒", "赌博", "醉驾", "酒驾", "肇事逃逸", "家暴", "闹事",
    "寻衅滋事", "威胁", "非法拘禁", "失踪", "走失", "报警", "砸", "纵火", "爆炸", "劫持", "跟踪",
)
"""Words that mark crime, public order or danger to people (SH 二(一)2: 110 acts first)."""

# 警情类别代码 used by the simulator (6 digits, first two = the broad class).
CATEGORY_CODES = {
    "criminal": "010000",  # 刑事类
    "public_order": "020000",  # 治安类
    "dispute": "050000",  # 纠纷类
    "help": "060000",  # 群众求助
    "other": "990000",  # 其他
}

_CRIMINAL = ("盗", "偷", "抢", "诈骗", "杀", "持刀", "砍", "枪", "绑架", "拐", "贩毒", "纵火", "爆炸", "劫持")

_REQUEST_TYPES = (
    ("投诉", "投诉"), ("举报", "举报"), ("建议", "建议"), ("表扬", "表扬"), ("咨询", "咨询"),
    ("请问", "咨询"), ("怎么办理", "咨询"),
)


def is_police_matter(text: str) -> bool:
    """True when the text names crime, public disorder or danger to people."""
    return any(word in text for word in POLICE_KEYWORDS)


def category_code(text: str) -> str:
    """A plausible 警情类别代码 for the text."""
    if any(word in text for word in _CRIMINAL):
        return CATEGORY_CODES["criminal"]
    if is_police_matter(text):
        return CATEGORY_CODES["public_order"]
    if "纠纷" in text:
        return CATEGORY_CODES["dispute"]
    return CATEGORY_CODES["help"]


def request_type(text: str) -> str:
    """The 12345 request type a non-police call most likely is (求助 when nothing says otherwise)."""
    for word, kind in _REQUEST_TYPES:
        if word in text:
            return kind
    return "求助"
