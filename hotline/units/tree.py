"""The unit tree: creation with materialised paths, subtree and ancestry checks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from hotline.core.errors import Conflict, Invalid, NotFound
from hotline.units.models import Unit, UnitKind


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", title="单位不存在")
    return unit


def require_units(session: Session, unit_ids: Iterable[int]) -> dict[int, Unit]:
    """Load units named in a command; an unknown or inactive one is the caller's error (422)."""
    ids = list(dict.fromkeys(unit_ids))
    if not ids:
        return {}
    found = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(ids))).all()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(f"单位不存在：{missing}", title="单位不存在", units=missing)
    inactive = [i for i in ids if not found[i].active]
    if inactive:
        raise Invalid(f"单位已停用：{inactive}", title="单位已停用", units=inactive)
    return found


class UnitCache:
    """Units by id, each loaded once per request (lists show the same units on many rows)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[int, Unit | None] = {}

    def prefetch(self, unit_ids: Iterable[int | None]) -> None:
        """Load the units a list will show in one query: a round trip per unit costs little
        on an idle database and a scheduler slice each on a busy one."""
        wanted = {u for u in unit_ids if u is not None and u not in self._cache}
        if wanted:
            found = {u.id: u for u in self.session.exec(
                select(Unit).where(col(Unit.id).in_(sorted(wanted))))}
            for uid in wanted:
                self._cache[uid] = found.get(uid)

    def get(self, unit_id: int | None) -> Unit | None:
        if unit_id is None:
            return None
        if unit_id not in self._cache:
            self._cache[unit_id] = self.session.get(Unit, unit_id)
        return self._cache[unit_id]


def subtree_unit_ids(session: Session, unit_path: str) -> list[int]:
    """The ids of the unit at ``unit_path`` and every unit below it."""
    return list(session.exec(select(Unit.id).where(col(Unit.path).startswith(unit_path))).all())


def hotline_unit(session: Session) -> Unit:
    unit = session.exec(select(Unit).where(Unit.kind == UnitKind.hotline)).first()
    if unit is None:
        raise NotFound("没有热线中心单位：请先运行 hotline seed-demo 或创建单位")
    return unit



def is_ancestor(ancestor: Unit, unit: Unit, *, strict: bool = True) -> bool:
    if strict and ancestor.id == unit.id:
        return False
    return unit.path.startswith(ancestor.path)


def create_unit(
    session: Session, *, code: str, name: str, kind: str, parent_id: int | None
) -> Unit:
    if kind not in UnitKind.__members__:
        raise Invalid(f"未知单位类型：{kind}")
    if session.exec(select(Unit).where(Unit.code == code)).first():
        raise Conflict(f"单位编码已存在：{code}", title="单位编码重复")
    parent = get_unit(session, parent_id) if parent_id is not None else None
    if parent is None and kind != UnitKind.hotline:
        raise Invalid("除热线中心外，单位必须有上级单位")
    unit = Unit(code=code, name=name, kind=UnitKind(kind), parent_id=parent_id)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def update_unit(
    session: Session, unit: Unit, *, name: str | None = None, active: bool | None = None,
    review_replies: bool | None = None,
) -> Unit:
    if name is not None:
        unit.name = name
    if review_replies is not None:
        unit.review_replies = review_replies
    if active is not None:
        unit.active = active
    session.add(unit)
    session.flush()
    return unit


def list_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(col(Unit.path))).all())


def sub_units(session: Session, unit: Unit) -> list[Unit]:
    """Active units strictly below ``unit``: where it may forward a ticket."""
    return list(session.exec(select(Unit).where(col(Unit.path).startswith(unit.path))
                             .where(Unit.id != unit.id).where(col(Unit.active))
                             .order_by(col(Unit.path))).all())


def dispatchable_units(session: Session) -> list[Unit]:
    """Every active unit but the hotline itself: where the hotline may dispatch."""
    return list(session.exec(select(Unit).where(Unit.kind != UnitKind.hotline)
                             .where(col(Unit.active)).order_by(col(Unit.path))).all())


#: Columns of a unit tree CSV (`hotline units import`): parent is the parent's code, empty for
#: the hotline center; kind is a ``UnitKind`` name.
IMPORT_COLUMNS = ("code", "name", "kind", "parent")


def import_units(session: Session, rows: Iterable[dict[str, str]]) -> tuple[int, int]:
    """Build a unit tree from CSV rows, parents before children whatever the file's order.

    Idempotent: a code that exists with the same name, kind and parent is skipped, so an import
    can be re-run after fixing a line. Returns (created, skipped); any bad line raises with its
    line number and nothing is written (the caller's transaction rolls back).
    """
    pending: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        missing = [c for c in ("code", "name", "kind") if not (row.get(c) or "").strip()]
        if missing:
            raise Invalid(f"第 {line} 行缺少 {'、'.join(missing)}", title="单位表格式不对")
        pending.append((line, {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}))
    created = skipped = 0
    while pending:
        waiting: list[tuple[int, dict[str, str]]] = []
        for line, row in pending:
            parent = None
            if row["parent"]:
                parent = session.exec(select(Unit).where(Unit.code == row["parent"])).first()
                if parent is None:
                    waiting.append((line, row))
                    continue
            existing = session.exec(select(Unit).where(Unit.code == row["code"])).first()
            if existing is not None:
                if (existing.name, str(existing.kind), existing.parent_id) != \
                        (row["name"], row["kind"], parent.id if parent else None):
                    raise Conflict(f"第 {line} 行：单位编码 {row['code']} 已存在且内容不同",
                                   title="单位编码重复")
                skipped += 1
                continue
            try:
                create_unit(session, code=row["code"], name=row["name"], kind=row["kind"],
                            parent_id=parent.id if parent else None)
            except (Invalid, Conflict) as exc:
                raise Invalid(f"第 {line} 行：{exc.detail}", title="单位表有误") from None
            created += 1
        if len(waiting) == len(pending):
            line, row = waiting[0]
            raise Invalid(f"第 {line} 行：上级单位 {row['parent']} 不存在", title="单位表有误")
        pending = waiting
    return created, skipped
