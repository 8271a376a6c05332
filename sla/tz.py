"""The one time zone the hotline's deadlines are reckoned in.

Deadlines are legal-ish promises made to callers in local time (CQ §13); computing them in
UTC would shift "end of day" by eight hours, so every public function converts to this zone.
"""

from zoneinfo import ZoneInfo

SHANGHAI: ZoneInfo = ZoneInfo("Asia/Shanghai")

__all__ = ["SHANGHAI"]
