"""CQ §9: the matters the hotline does not accept, one code each, with the Chinese reason the
caller and the agent read.

CQ §9(一): matters for litigation, arbitration, discipline inspection, administrative
reconsideration or government information disclosure, and petitions already in the 信访
channel; (二) state or commercial secrets, personal privacy, matters against public order and
good morals; (三) other matters laws and regulations exclude.
"""

from __future__ import annotations

from enum import StrEnum


class NotAcceptedReason(StrEnum):
    litigation = "litigation"  # 诉讼
    arbitration = "arbitration"  # 仲裁
    discipline = "discipline"  # 纪检监察
    reconsideration = "reconsideration"  # 行政复议
    info_disclosure = "info_disclosure"  # 政府信息公开
    petition = "petition"  # 已进入信访渠道
    state_secret = "state_secret"  # 国家秘密
    commercial_secret = "commercial_secret"  # 商业秘密
    privacy = "privacy"  # 个人隐私
    public_order = "public_order"  # 违反公序良俗
    other_law = "other_law"  # 法律法规规章规定不予受理的其他事项


#: What the caller is told, and what every page shows instead of the code.
NOT_ACCEPTED_LABELS: dict[str, str] = {
    NotAcceptedReason.litigation: "应通过诉讼程序解决",
    NotAcceptedReason.arbitration: "应通过仲裁程序解决",
    NotAcceptedReason.discipline: "应通过纪检监察程序解决",
    NotAcceptedReason.reconsideration: "应通过行政复议程序解决",
    NotAcceptedReason.info_disclosure: "应通过政府信息公开程序申请",
    NotAcceptedReason.petition: "已进入信访渠道",
    NotAcceptedReason.state_secret: "涉及国家秘密",
    NotAcceptedReason.commercial_secret: "涉及商业秘密",
    NotAcceptedReason.privacy: "涉及个人隐私",
    NotAcceptedReason.public_order: "违反社会公序良俗",
    NotAcceptedReason.other_law: "法律法规规章规定不予受理",
}

#: The body that does handle each matter, where there is one to name (told to the caller).
NOT_ACCEPTED_REFERRALS: dict[str, str] = {
    NotAcceptedReason.litigation: "人民法院",
    NotAcceptedReason.arbitration: "劳动人事争议仲裁委员会或仲裁委员会",
    NotAcceptedReason.discipline: "纪委监委",
    NotAcceptedReason.reconsideration: "行政复议机关",
    NotAcceptedReason.info_disclosure: "政府信息公开受理机构",
    NotAcceptedReason.petition: "信访部门",
    NotAcceptedReason.state_secret: "国家安全机关或保密行政管理部门",
    NotAcceptedReason.public_order: "公安机关",
}

assert set(NOT_ACCEPTED_LABELS) == set(NotAcceptedReason), "every reason has its Chinese text"


def not_accepted_label(code: str | None) -> str:
    """The Chinese reason for a code; an unknown or missing code still reads as Chinese."""
    return NOT_ACCEPTED_LABELS.get(code or "", "属不予受理事项")
