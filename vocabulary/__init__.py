"""Codes shared by the libraries and the application, defined once (pure: plain values only).

The safety detector (``classifier``), the intake decision (``routing``) and the workflow
(``hotline``) used to spell the CQ §9 reasons each their own way (``information_disclosure`` /
``info_disclosure``, ``secret`` / ``state_secret``), so passing the suggested code to the
workflow was refused. Each of them now imports this one vocabulary.
"""

from vocabulary.not_accepted import (
    NOT_ACCEPTED_LABELS,
    NOT_ACCEPTED_REFERRALS,
    NotAcceptedReason,
    not_accepted_label,
)

__all__ = ["NOT_ACCEPTED_LABELS", "NOT_ACCEPTED_REFERRALS", "NotAcceptedReason",
           "not_accepted_label"]
