"""Loading entries from a CSV file (``hotline kb import``): columns ``title,answer`` plus optional
``category,unit_code,valid_until,public``. What is imported is published at once — the file is
the reviewed output of the units (CQ §18), and the import is audited as such."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from hotline.core.errors import Invalid
from hotline.core.times import as_utc
from hotline.kb import index
from hotline.kb.entries import record
from hotline.kb.models import KbEntry, KbStatus
from hotline.units.actor import Actor
from hotline.units.models import Unit
from hotline.units.tree import hotline_unit

REQUIRED = ("title", "answer")
OPTIONAL = ("category", "unit_code", "valid_until", "public", "questions", "basis")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TRUE = {"1", "true", "yes", "y", "是", "公开", ""}
FALSE = {"0", "false", "no", "n", "否", "不公开"}


def _date(value: str, line: int) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("/", "-"))
        if parsed.tzinfo is None:
            if len(value) <= 10:  # a date: valid through that day, local time
                parsed = datetime.combine(parsed.date(), time.max)
            parsed = parsed.replace(tzinfo=SHANGHAI)
        return as_utc(parsed)
    except (ValueError, OverflowError) as exc:
        raise Invalid(f"第 {line} 行 valid_until “{value}” 不是日期（如 2027-06-30）") from exc


def import_csv(session: Session, content: str, actor: Actor | None, now: datetime) -> list[KbEntry]:
    """Validate every row first (422 naming the line), then insert and publish them all in the
    caller's transaction."""
    try:
        return _import(session, content, actor, now)
    except csv.Error as exc:
        raise Invalid(f"CSV 格式错误：{exc}") from exc


def _import(session: Session, content: str, actor: Actor | None, now: datetime) -> list[KbEntry]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff").replace("\x00", "")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(f"CSV 缺少列：{', '.join(missing)}（需要 title,answer，可选 {','.join(OPTIONAL)}）")
    units = {u.code: u.id for u in session.exec(select(Unit)).all()}
    default_unit = hotline_unit(session).id
    entries: list[KbEntry] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not row.get("title") or not row.get("answer"):
            raise Invalid(f"第 {line} 行缺少 title 或 answer")
        code = row.get("unit_code", "")
        if code and code not in units:
            raise Invalid(f"第 {line} 行单位编码 “{code}” 不存在")
        flag = row.get("public", "").lower()
        if flag not in TRUE | FALSE:
            raise Invalid(f"第 {line} 行 public “{row['public']}” 应为 true/false")
        valid_until = _date(row.get("valid_until", ""), line)
        if valid_until is not None and valid_until <= now:
            raise Invalid(f"第 {line} 行有效期已过，不能作为已发布条目导入")
        for name, longest in (("title", 200), ("category", 200), ("basis", 500)):
            if len(row.get(name, "")) > longest:
                raise Invalid(f"第 {line} 行 {name} 超过 {longest} 字")
        questions = [q.strip() for q in row.get("questions", "").split("|") if q.strip()]
        entries.append(KbEntry(
            title=row["title"], questions=questions, answer=row["answer"],
            category=row.get("category") or None, unit_id=units[code] if code else default_unit,
            basis=row.get("basis") or None, valid_until=valid_until, public=flag not in FALSE,
            status=KbStatus.published, created_by_id=actor.id if actor else None, created_at=now,
            updated_at=now, reviewed_at=now, reviewed_by_id=actor.id if actor else None))
    index.apply(session, index.index(entries))
    session.add_all(entries)
    session.flush()
    index.post(session, entries)
    for entry in entries:
        record(session, entry, "import", actor, now, None, note="CSV 导入并发布", content=True)
    session.flush()
    return entries
