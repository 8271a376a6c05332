"""Keeping the knowledge base current (CQ §18): expiring what has passed ``valid_until``,
flagging what has not been reviewed for months, counting each use at intake, and the figures
of each unit's upkeep (CQ §24, docs/METRICS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, or_, select

from hotline.core.errors import Invalid
from hotline.core.times import as_utc
from hotline.kb.entries import record
from hotline.kb.models import KbEntry, KbStatus
from hotline.kb.search import usable


def use_entries(session: Session, ids: list[int], now: datetime) -> list[KbEntry]:
    """The entries an agent answered with: each must be published and valid now (422 names the
    ones that are not); each use is counted."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {e.id: e for e in session.exec(select(KbEntry).where(col(KbEntry.id).in_(wanted),
                                                                  usable(now))).all()}
    bad = [i for i in wanted if i not in found]
    if bad:
        raise Invalid(f"知识条目 {', '.join(map(str, bad))} 不存在、未发布或已过有效期，不能引用",
                      title="知识条目不可用", entries=bad)
    for entry in found.values():
        entry.use_count += 1
        entry.last_used_at = now
    session.flush()
    return [found[i] for i in wanted]


def review_cutoff(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


def expire_and_flag(session: Session, now: datetime, review_months: int) -> tuple[list[KbEntry],
                                                                                  list[KbEntry]]:
    """Expire published entries past ``valid_until``; flag published entries not reviewed
    since the cutoff. Returns (expired, newly flagged); running it again changes nothing."""
    expired = list(session.exec(select(KbEntry).where(
        KbEntry.status == KbStatus.published, col(KbEntry.valid_until).is_not(None),
        col(KbEntry.valid_until) <= now)).all())
    for entry in expired:
        entry.status = KbStatus.expired
        entry.stale_since, entry.stale_reason = now, "已过有效期"
        entry.updated_at = now
        record(session, entry, "expire", None, now, KbStatus.published.value)
    cutoff = review_cutoff(now, review_months)
    flagged = list(session.exec(select(KbEntry).where(
        KbEntry.status == KbStatus.published, col(KbEntry.stale_since).is_(None),
        or_(col(KbEntry.reviewed_at).is_(None), col(KbEntry.reviewed_at) < cutoff))).all())
    for entry in flagged:
        entry.stale_since = now
        entry.stale_reason = f"超过 {review_months} 个月未复核"
        record(session, entry, "flag_stale", None, now, str(entry.status), note=entry.stale_reason)
    session.flush()
    return expired, flagged


@dataclass(frozen=True)
class Upkeep:
    """A unit's knowledge-base upkeep (CQ §24): its entries in use, how many are stale, how
    quickly its reviews are done, and how often agents answered with them."""

    unit_id: int
    published: int
    stale: int
    expired_in_use: int  # still published past valid_until (the scan has not run yet)
    uses: int
    score: float  # 0–100, docs/METRICS.md

    def to_dict(self) -> dict[str, object]:
        return {"unit_id": self.unit_id, "published": self.published, "stale": self.stale,
                "expired_in_use": self.expired_in_use, "uses": self.uses, "score": self.score}


def upkeep_score(published: int, stale: int) -> float:
    """100 x the share of a unit's published entries that are current (not stale); a unit
    with no published entries scores 100 — it has nothing to keep (docs/METRICS.md)."""
    if published <= 0:
        return 100.0
    return round(100.0 * (published - stale) / published, 1)


def unit_upkeep(session: Session, now: datetime, review_months: int) -> dict[int, Upkeep]:
    cutoff = review_cutoff(now, review_months)
    rows = session.exec(select(KbEntry).where(KbEntry.status == KbStatus.published)).all()
    acc: dict[int, list[int]] = {}
    for e in rows:
        unit_id, valid_until, reviewed_at, stale_since, uses = (
            e.unit_id, e.valid_until, e.reviewed_at, e.stale_since, e.use_count)
        a = acc.setdefault(unit_id, [0, 0, 0, 0])
        past = valid_until is not None and as_utc(valid_until) <= now
        unreviewed = reviewed_at is None or as_utc(reviewed_at) < cutoff
        a[0] += 1
        a[1] += int(past or unreviewed or stale_since is not None)
        a[2] += int(past)
        a[3] += uses
    return {u: Upkeep(u, p, s, x, n, upkeep_score(p, s)) for u, (p, s, x, n) in acc.items()}


def counts_by_status(session: Session) -> dict[str, int]:
    return {str(s): n for s, n in session.exec(select(KbEntry.status, func.count())
                                                 .group_by(KbEntry.status)).all()}
