"""Start-up checks: every setting, the peers, the policies, the database — before serving.

Measured before this: a peers file without its secret, ``HOTLINE_ESCALATE_AFTER=30m`` or a
one-letter secret key started fine and failed later as 500s on live calls (a rolled-back
hand-over loses the caller's record). ``hotline serve``, ``worker`` and ``cron`` call
``check()`` first; a bad value stops the process with one Chinese line that names the setting
and says what is wrong (``PreflightError``), never a traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

import integrations
import sla
from hotline.core import sla_setup
from hotline.core.db import get_engine
from hotline.core.settings import InsecureSettingsError, Settings, get_settings
from hotline.linkage import peers as linkage_peers

_KINDS = {
    "int_parsing": "应为整数", "int_from_float": "应为整数", "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false", "missing": "必须设置",
    "path_type": "应为文件路径", "url_parsing": "应为网址",
}


class PreflightError(RuntimeError):
    """A setting that would fail later; the message is the one line the operator sees."""


def _describe(error: Any) -> str:
    """One pydantic error → 'HOTLINE_X 的值 'v' 无效：reason' in Chinese."""
    name = "HOTLINE_" + "_".join(str(p) for p in error.get("loc", ())).upper()
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "value_error":
        reason = str(ctx.get("error", error.get("msg", "")))
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        reason = {"greater_than_equal": f"应不小于 {bound}", "greater_than": f"应大于 {bound}",
                  "less_than_equal": f"应不大于 {bound}", "less_than": f"应小于 {bound}"}[kind]
    else:
        reason = _KINDS.get(kind, error.get("msg", "格式不对"))
    value = error.get("input")
    shown = f"（{value!r}）" if isinstance(value, str | int | float) and "SECRET" not in name \
        and "PASSWORD" not in name and "URL" not in name else ""
    return f"配置 {name} 无效{shown}：{reason}"


def load_settings() -> Settings:
    """The settings, or a ``PreflightError`` naming the first bad one."""
    get_settings.cache_clear()
    try:
        return get_settings()
    except ValidationError as exc:
        raise PreflightError(_describe(exc.errors()[0])) from None


def check(*, database: bool = True) -> Settings:
    """Everything a process needs to run its first action correctly; raises ``PreflightError``."""
    settings = load_settings()
    try:
        settings.check_safe()
    except InsecureSettingsError as exc:
        raise PreflightError(str(exc)) from None
    linkage_peers.reload()
    try:
        linkage_peers.peers()
    except integrations.PeerConfigError as exc:
        raise PreflightError(
            f"对接平台配置无效（HOTLINE_PEERS_FILE / HOTLINE_PEER__<编码>__<字段>）：{exc}") from None
    for name, path in (("HOTLINE_HOLIDAY_TABLE", settings.holiday_table),
                       ("HOTLINE_SLA_POLICY_FILE", settings.sla_policy_file),
                       ("HOTLINE_GAZETTEER_FILE", settings.gazetteer_file),
                       ("HOTLINE_CATALOGUE_FILE", settings.catalogue_file)):
        if path is not None and not path.is_file():
            raise PreflightError(f"配置 {name} 无效：文件不存在（{path}）")
    sla_setup.reload()
    try:
        sla_setup.get_calendar()
    except (ValueError, sla.CalendarTableError, OSError) as exc:
        raise PreflightError(f"配置 HOTLINE_HOLIDAY_TABLE 无效：{exc}") from None
    try:
        sla_setup.get_policy()
    except (ValueError, sla.PolicyError, OSError, KeyError) as exc:
        raise PreflightError(f"配置 HOTLINE_SLA_POLICY_FILE / HOTLINE_SLA_POLICY_NAME 无效：{exc}") \
            from None
    if database:
        check_database()
    return settings


def check_database() -> None:
    """The database answers and has been migrated (a missing schema is one line, not 346)."""
    engine = get_engine()
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = (str(orig if orig is not None else exc).splitlines() or ["?"])[0]
        raise PreflightError(f"无法连接数据库（HOTLINE_DATABASE_URL，{engine.url.render_as_string()}）："
                             f"{reason}") from None
    if "tickets" not in tables or "alembic_version" not in tables:
        raise PreflightError("数据库尚未建表：请先运行 hotline db upgrade")
