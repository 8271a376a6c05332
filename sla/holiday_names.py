"""Chinese names for chinese_calendar's English holiday labels.

Supervisors and callers read these names on screen; the library's English labels would be
the only English words on a Chinese page.
"""

from typing import Final

CHINESE_NAMES: Final[dict[str, str]] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def chinese_name(label: str) -> str:
    """Fall back to the label itself so an unknown future label is shown rather than lost."""
    return CHINESE_NAMES.get(label, label)
