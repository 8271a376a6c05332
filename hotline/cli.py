"""`hotline …` commands: serve, database migrations, demo data, users, workers, simulators.

Each command imports what it runs inside its function (``# lazy``): the whole application
takes seconds to import, and ``hotline --help`` or ``hotline db upgrade`` should not wait for it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from hotline.core.settings import get_settings

app = typer.Typer(help="12345 热线工单系统", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
routing_app = typer.Typer(help="智能派单", no_args_is_help=True)
classifier_app = typer.Typer(help="分类模型", no_args_is_help=True)
users_app = typer.Typer(help="用户管理", no_args_is_help=True)
units_app = typer.Typer(help="单位（组织机构）管理", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(units_app, name="units")
app.add_typer(routing_app, name="routing")
app.add_typer(classifier_app, name="classifier")
audit_app = typer.Typer(help="审计", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
kb_app = typer.Typer(help="知识库", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
similar_app = typer.Typer(help="相似诉求（并单）", no_args_is_help=True)
app.add_typer(similar_app, name="similar")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def _preflight(*, database: bool = True) -> None:
    """Every setting, the peers, the policies and the database, before the process runs."""
    from hotline.preflight import PreflightError, check  # lazy: fast CLI start

    try:
        check(database=database)
    except PreflightError as exc:
        _fail(str(exc))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
    reload: Annotated[bool, typer.Option(help="开发模式自动重载")] = False,
    workers: Annotated[int | None, typer.Option(help="API 进程数（默认 HOTLINE_WEB_WORKERS）")] = None,
) -> None:
    """运行 Web 与 API 服务。"""
    import uvicorn

    _preflight()
    settings = get_settings()
    h, p = host or settings.host, port or settings.port
    typer.echo(f"12345 热线工单系统：http://{h}:{p}  （健康检查 /healthz"
                + ("，API 文档 /docs" if settings.api_docs_enabled else "") + "）")
    from hotline.core import logs  # lazy: fast CLI start

    logs.configure(settings.log_level)  # uvicorn's own lines through our format (log_config=None)
    uvicorn.run("hotline.app:create_app", factory=True, host=h, port=p, reload=reload,
                workers=None if reload else (workers or settings.web_workers),
                log_level=settings.log_level, log_config=None,
                # X-Forwarded-* are read by hotline.web.security from HOTLINE_TRUSTED_PROXIES only.
                proxy_headers=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="目标版本")] = "heads") -> None:
    """把数据库迁移到最新结构（Alembic）。"""
    from hotline.core.db import get_engine  # lazy: fast CLI start
    from hotline.core.migrate import upgrade  # lazy: fast CLI start

    engine = get_engine()
    upgrade(engine, revision)
    typer.echo(f"数据库已迁移到 {revision}：{engine.url.render_as_string(hide_password=True)}")


@app.command("seed-demo")
def seed_demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="已有数据时跳过")] = False,
    tickets: Annotated[int, typer.Option(help="生成的演示工单数")] = 200,
) -> None:
    """生成演示城市：单位、各角色用户（密码 demo）和各状态的演示工单。"""
    from hotline import wiring  # lazy: fast CLI start
    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.seed import has_data, seed  # lazy: fast CLI start

    wiring.install()
    settings = get_settings()
    if not settings.demo_mode:
        _fail("seed-demo 只能在演示模式下运行（HOTLINE_DEMO_MODE=true）")
    with unit_of_work() as session:
        if has_data(session):
            if if_empty:
                typer.echo("已有数据，跳过演示数据生成")
                return
            _fail("数据库已有数据；如只想在空库时生成，请加 --if-empty")
        report = seed(session, tickets=tickets)
    typer.echo(f"演示数据已生成：{report.units} 个单位，{report.users} 个用户，"
               f"{report.tickets} 张工单（逾期 {report.overdue}，预警 {report.at_risk}）")
    typer.echo("演示账号（密码均为 demo）：")
    for username, label in report.accounts:
        typer.echo(f"  {username:<14} {label}")


@app.command()
def worker(burst: Annotated[bool, typer.Option(help="处理完队列即退出")] = False) -> None:
    """运行后台任务 worker（RQ，含延时/重试调度器）。"""
    from rq import Worker

    from hotline import wiring  # lazy: fast CLI start
    from hotline.workers.queue import NoRedisError, queue, redis_connection  # lazy: fast CLI start

    _preflight()
    try:
        conn = redis_connection()
    except NoRedisError as exc:
        _fail(str(exc))
    from hotline.core import logs  # lazy: fast CLI start

    logs.configure()
    wiring.install()  # a job's commit (reconcile's resend) kicks the relay too
    # RQ at WARNING: no "Job OK" lines; each job logs its outcome (hotline.jobs).
    Worker([queue(conn)], connection=conn).work(with_scheduler=True, burst=burst,
                                                 logging_level="WARNING")


@app.command()
def cron() -> None:
    """运行周期任务调度（整个部署只运行一个）。"""
    from hotline.workers.queue import NoRedisError, redis_connection  # lazy: fast CLI start
    from hotline.workers.schedule import build_scheduler  # lazy: fast CLI start

    _preflight()
    try:
        conn = redis_connection()
    except NoRedisError as exc:
        _fail(str(exc))
    from hotline.core import logs  # lazy: fast CLI start

    logs.configure()
    build_scheduler(conn).start()


@app.command("refresh-clocks")
def refresh_clocks(
    provisional_only: Annotated[bool, typer.Option(help="只重算暂定（无节假日数据）的期限")] = False,
) -> None:
    """按当前节假日表和时限策略重算在办工单的期限（加载新一年节假日后运行）。"""
    from hotline.core.sla_setup import reload  # lazy: fast CLI start
    from hotline.workers.jobs import refresh_open_clocks  # lazy: fast CLI start

    reload()
    changed = refresh_open_clocks(only_provisional=provisional_only)
    typer.echo(f"已重算，{changed} 张工单的期限有变化")


@app.command("legal-deadlines")
def legal_deadlines_cmd(
    file: Annotated[str | None, typer.Option(
        "--file", help="要检查的法定时限表（name,working_days,citation）；默认显示生效的表")] = None,
) -> None:
    """显示或检查法定办理时限表（CQ §13(四)）。

    生效方式：HOTLINE_LEGAL_DEADLINES_FILE=该文件，再运行 hotline refresh-clocks。"""
    import sla  # lazy: fast CLI start

    source = file if file is not None else get_settings().legal_deadlines_file
    try:
        table = sla.LegalTable.load(source)
    except sla.LegalTableError as exc:
        _fail(str(exc))
    typer.echo(f"法定时限表：{table.source}（{len(table)} 项）")
    for row in table.values():
        typer.echo(f"{row.name}\t{row.working_days} 个工作日\t{row.citation}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="登录名")],
    role: Annotated[str | None, typer.Option(
        help="agent / unit_handler / unit_manager / supervisor / admin")] = None,
    unit: Annotated[str | None, typer.Option(help="所属单位编码（--first-admin 时默认热线中心）")] = None,
    full_name: Annotated[str | None, typer.Option(help="姓名")] = None,
    password: Annotated[str | None, typer.Option(help="密码（不给则交互输入）")] = None,
    first_admin: Annotated[bool, typer.Option(
        "--first-admin", help="空库时创建第一个系统管理员（热线中心，admin）；已有用户时拒绝")] = False,
) -> None:
    """创建用户；新部署先用 --first-admin 创建第一个管理员。"""
    from sqlmodel import select

    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.core.errors import DomainError  # lazy: fast CLI start
    from hotline.units.models import Unit, UnitKind, User  # lazy: fast CLI start
    from hotline.units.users import create_user  # lazy: fast CLI start

    if first_admin:
        role = role or "admin"
        if role != "admin":
            _fail("--first-admin 只能创建 admin 角色")
    elif role is None or unit is None:
        _fail("请给出 --role 和 --unit（新部署的第一个管理员用 --first-admin）")
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    if len(password) < 8 and not get_settings().demo_mode:
        _fail("密码至少 8 位")
    try:
        with unit_of_work() as session:
            if first_admin and session.exec(select(User.id)).first() is not None:
                _fail("已有用户：--first-admin 只用于空库；请以管理员身份在系统中添加用户")
            stmt = (select(Unit).where(Unit.code == unit) if unit
                    else select(Unit).where(Unit.kind == UnitKind.hotline))
            unit_row = session.exec(stmt).first()
            if unit_row is None:
                _fail(f"单位编码不存在：{unit}" if unit else
                      "尚无热线中心单位：请先 hotline units create HL 12345热线中心 --kind hotline")
            user = create_user(session, username=username, full_name=full_name or username,
                               role=role, unit_id=unit_row.id, password=password)
            typer.echo(f"已创建用户 {user.username}（{role}，{unit_row.name}）")
    except DomainError as exc:
        _fail(exc.detail)


@units_app.command("create")
def units_create(
    code: Annotated[str, typer.Argument(help="单位编码")],
    name: Annotated[str, typer.Argument(help="单位名称")],
    kind: Annotated[str, typer.Option(
        help="hotline / district_gov / city_dept / district_dept / street / community / handler")],
    parent: Annotated[str | None, typer.Option(help="上级单位编码（热线中心不填）")] = None,
) -> None:
    """新建一个单位。"""
    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.core.errors import DomainError  # lazy: fast CLI start
    from hotline.units.tree import import_units  # lazy: fast CLI start

    try:
        with unit_of_work() as session:
            import_units(session, [{"code": code, "name": name, "kind": kind, "parent": parent or ""}])
    except DomainError as exc:
        _fail(exc.detail.removeprefix("第 2 行："))
    typer.echo(f"已创建单位 {code} {name}")


@units_app.command("import")
def units_import(file: Annotated[str, typer.Argument(help="CSV：code,name,kind,parent（UTF-8）")]) -> None:
    """从 CSV 导入单位树（上级在后也可；已存在且相同的跳过，可重复运行）。"""
    import csv

    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.core.errors import DomainError  # lazy: fast CLI start
    from hotline.units.tree import IMPORT_COLUMNS, import_units  # lazy: fast CLI start

    try:
        with open(file, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"code", "name", "kind"} <= set(reader.fieldnames):
                _fail(f"{file}：表头应为 {','.join(IMPORT_COLUMNS)}")
            rows = list(reader)
    except OSError as exc:
        _fail(f"无法读取 {file}：{exc.strerror}")
    try:
        with unit_of_work() as session:
            created, skipped = import_units(session, rows)
    except DomainError as exc:
        _fail(exc.detail)
    typer.echo(f"已导入单位：新建 {created} 个，已存在跳过 {skipped} 个")


def _period(since: str, until: str | None) -> tuple[datetime, datetime]:
    from hotline.core.times import SHANGHAI  # lazy: fast CLI start

    try:
        start = datetime.fromisoformat(since).replace(tzinfo=SHANGHAI)
        end = (datetime.fromisoformat(until).replace(tzinfo=SHANGHAI) if until
               else datetime.now(SHANGHAI))
    except ValueError:
        _fail("日期格式应为 YYYY-MM-DD")
    return start, end


@routing_app.command("report")
def routing_report_cmd(
    since: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option("--to", help="截止日期（不含），默认现在")] = None,
) -> None:
    """派单准确率 top-1/top-3 与各单位误派（退单）情况。"""
    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.intake.accuracy import routing_report  # lazy: fast CLI start

    start, end = _period(since, until)
    with unit_of_work() as session:
        r = routing_report(session, start, end)
    pct = lambda v: "—" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    typer.echo(f"派单 {r.dispatches} 件，其中有建议 {r.with_suggestion} 件；"
               f"top-1 {pct(r.top1_rate)}，top-3 {pct(r.top3_rate)}；退单 {r.returned} 件")
    typer.echo(f"{'承办单位':<24}{'派单':>6}{'退单':>6}{'误派率':>8}")
    for name, c in r.per_unit.items():
        rate = pct(c["returned"] / c["dispatched"] if c["dispatched"] else None)
        typer.echo(f"{name:<24}{c['dispatched']:>6}{c['returned']:>6}{rate:>8}")


@classifier_app.command("retrain")
def classifier_retrain(
    min_examples: Annotated[int, typer.Option(help="每类至少样本数")] = 5,
) -> None:
    """用已确认的派单（已答复/办结且未被退单的工单）训练新一版分类模型。"""
    from hotline.workers.jobs import retrain_classifier  # lazy: fast CLI start

    try:
        info = retrain_classifier(min_examples=min_examples)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"新模型 {info['version']}：{info['examples']} 条样本，{info['labels']} 个类别")


@classifier_app.command("ensure-demo")
def classifier_ensure_demo() -> None:
    """模型库为空时用内置演示语料训练默认模型（make run 调用）。"""
    from classifier.demo import ensure_default_model

    path = ensure_default_model(get_settings().model_dir)
    typer.echo(f"分类模型：{path}")


@app.command()
def sim110(
    port: Annotated[int, typer.Option(help="模拟 110 平台端口")] = 9110,
    peer: Annotated[str, typer.Option(help="模拟的平台编码（110/119/120/122…）")] = "110",
    hotline_url: Annotated[str | None, typer.Option(help="本系统地址，默认 http://HOST:PORT")] = None,
    step_delay_ms: Annotated[int, typer.Option(help="回调时间线步长（毫秒）")] = 500,
    seed: Annotated[int | None, typer.Option(help="乱序回调的随机种子（演练可复现）")] = None,
) -> None:
    """运行模拟 110 报警服务台（接收工单、回执、按时间线回调、推送非警务事项）。"""
    from hotline.linkage.peers import peers  # lazy: fast CLI start
    from integrations.simulator import serve

    cfg = peers().get(peer)
    if cfg is None:
        _fail(f"未配置对接平台 {peer}（HOTLINE_PEERS_FILE / HOTLINE_PEER__{peer}__…）")
    s = get_settings()
    base = hotline_url or f"http://{s.host}:{s.port}"
    typer.echo(f"模拟 {peer} 平台：http://127.0.0.1:{port}，回调 {base}/api/v1/integrations/{peer}/inbound")
    # The simulator signs with what we verify, and verifies with what we sign.
    serve(port, code=peer, secret=cfg.verifying_secret(), peer_secret=cfg.signing_secret(),
          callback_url=f"{base}/api/v1/integrations/{peer}/inbound", step_delay_ms=step_delay_ms,
          mapping=cfg.message_mapping, seed=seed, schema_version=cfg.schema_version)


@app.command()
def simsms(
    port: Annotated[int, typer.Option(help="模拟短信平台端口")] = 9160,
    hotline_url: Annotated[str | None, typer.Option(help="本系统地址，默认 http://HOST:PORT")] = None,
    receipt_delay_ms: Annotated[int, typer.Option(help="送达后多久推送状态报告（毫秒）")] = 100,
) -> None:
    """运行模拟短信平台（模板、签名、消息编号、状态报告；可模拟宕机、拒发、送达失败）。"""
    from integrations.smsgateway import GatewaySettings, serve

    s = get_settings()
    if not s.sms_api_key or not s.sms_receipt_secret:
        _fail("需要 HOTLINE_SMS_API_KEY（本系统签名密钥）和 HOTLINE_SMS_RECEIPT_SECRET（短信平台回执密钥）")
    base = hotline_url or f"http://{s.host}:{s.port}"
    receipts = f"{base}/api/v1/callers/sms/receipts"
    typer.echo(f"模拟短信平台：http://127.0.0.1:{port}，状态报告推送到 {receipts}")
    # The gateway verifies with what we sign, and signs its receipts with what we verify.
    serve(port, GatewaySettings(secret=s.sms_api_key, receipt_secret=s.sms_receipt_secret,
                                receipt_url=receipts, receipt_delay_ms=receipt_delay_ms))


@app.command()
def relay() -> None:
    """立即推送待发的联动报文（通常由 worker 定时执行）。"""
    from hotline.workers.jobs import relay_outbox  # lazy: fast CLI start

    typer.echo(relay_outbox())


@audit_app.command("verify")
def audit_verify() -> None:
    """核验工单事件哈希链：发现被改动、删除或调换顺序的事件记录时以状态 1 退出。"""
    from hotline.core.db import get_engine  # lazy: fast CLI start
    from hotline.tickets.chain import verify  # lazy: fast CLI start

    with get_engine().connect() as conn:
        checked, problems = verify(conn)
    for p in problems:
        typer.echo(f"工单 #{p.ticket_id} 事件 {p.seq}: {p.what}", err=True)
    if problems:
        typer.echo(f"事件链核验失败：{len(problems)} 张工单的记录有问题（共核验 {checked} 条事件）",
                   err=True)
        raise typer.Exit(1)
    typer.echo(f"事件链完好：{checked} 条事件")
@app.command("report")
def monthly_report(
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 html")] = "xlsx",
    out: Annotated[Path | None, typer.Option("--out", help="输出文件，默认 report-YYYY-MM.<格式>")] = None,
) -> None:
    """月度单位考评报告（口径见 docs/METRICS.md，CQ §24）。"""
    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.supervision import report as report_service  # lazy: fast CLI start

    if fmt not in ("xlsx", "html"):
        _fail("--format 只能是 xlsx 或 html")
    try:
        with unit_of_work() as session:
            units, hotline = report_service.collect(session, month, None)
    except ValueError:
        _fail(f"月份格式不正确：{month}（应为 YYYY-MM）")
    target = out or Path(f"report-{month}.{fmt}")
    if fmt == "xlsx":
        target.write_bytes(report_service.to_xlsx(month, units, hotline))
    else:
        target.write_text(report_service.to_html(month, units, hotline), encoding="utf-8")
    typer.echo(f"已生成 {target}（{len(units)} 个单位）")


@similar_app.command("evaluate")
def similar_evaluate(
    pairs: Annotated[Path, typer.Option(help="人工标注的留言编号对（编号与标注）")] = Path(
        "tests/textsearch/similar_pairs.csv"),
    data: Annotated[Path, typer.Option(help="wenzheng2020 unlabeled_with_votes.csv（留言原文）")] = Path(
        "../shared/data/wenzheng2020/unlabeled_with_votes.csv"),
) -> None:
    """相似诉求检测的精确率、召回率、F1：发布阈值一行，及阈值表（对照：仅内容相似）。"""
    import csv  # lazy: fast CLI start

    from textsearch import similar  # lazy: fast CLI start

    for path in (pairs, data):
        if not path.is_file():
            _fail(f"找不到文件 {path}")
    try:
        with pairs.open(encoding="utf-8", newline="") as f:
            labelled = [(r["message_id_a"], r["message_id_b"], r["same_matter"] == "1")
                        for r in csv.DictReader(f)]
        wanted = {m for a, b, _ in labelled for m in (a, b)}
        with data.open(encoding="utf-8", newline="") as f:
            texts = {r["message_id"]: similar.message_text(r["subject"], r["body"])
                     for r in csv.DictReader(f) if r["message_id"] in wanted}
    except (OSError, UnicodeDecodeError, KeyError) as exc:
        _fail(f"无法读取：{exc}")
    if missing := sorted(wanted - set(texts)):
        _fail(f"{len(missing)} 个留言编号不在数据中，例如 {', '.join(missing[:3])}")
    thresholds = [t / 100 for t in range(30, 80, 5)]
    table = similar.evaluate(texts, labelled, thresholds)
    positives = sum(same for _, _, same in labelled)
    typer.echo(f"{len(labelled)} 对（同一事项 {positives}，不同 {len(labelled) - positives}）；"
               f"发布阈值 {similar.THRESHOLD:.2f}")
    typer.echo(f"{'阈值':>6} {'精确率':>8} {'召回率':>8} {'F1':>6}   {'仅内容 P':>8} {'R':>6} {'F1':>6}")
    for ours, plain in zip(table["shipped"], table["content"], strict=True):
        mark = " ←" if abs(ours.threshold - similar.THRESHOLD) < 1e-9 else ""
        typer.echo(f"{ours.threshold:>8.2f} {ours.precision:>10.3f} {ours.recall:>10.3f} "
                   f"{ours.f1:>6.3f}   {plain.precision:>10.3f} {plain.recall:>6.3f} "
                   f"{plain.f1:>6.3f}{mark}")


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="hotline")


if __name__ == "__main__":  # pragma: no cover
    main()


@kb_app.command("import")
def kb_import(
    file: Annotated[Path, typer.Argument(help="CSV：title,answer[,category,unit_code,valid_until,public]")],
) -> None:
    """导入知识条目并发布（文件即各单位审核后的内容，导入留痕）。"""
    from hotline.core.db import unit_of_work  # lazy: fast CLI start
    from hotline.core.errors import DomainError  # lazy: fast CLI start
    from hotline.core.times import utcnow  # lazy: fast CLI start
    from hotline.kb.importing import import_csv  # lazy: fast CLI start

    try:
        content = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"无法读取 {file}：{exc}")
    try:
        with unit_of_work() as session:
            made = import_csv(session, content, None, utcnow())
    except DomainError as exc:
        _fail(exc.detail)
    typer.echo(f"已导入并发布 {len(made)} 条知识条目")


@kb_app.command("evaluate")
def kb_evaluate(
    replied: Annotated[Path, typer.Option(help="wenzheng2020 replied.csv（官方答复作条目，留言正文作查询）")],
    database_url: Annotated[str | None, typer.Option(help="评测用数据库（默认临时 SQLite）")] = None,
    baseline: Annotated[bool, typer.Option(help="同时运行 bm25s 基线")] = True,
) -> None:
    """知识库检索评测：recall@1、recall@5、MRR、每次查询耗时，与 bm25s 对照。"""
    import tempfile  # lazy: fast CLI start

    from sqlalchemy import create_engine  # lazy: fast CLI start
    from sqlmodel import Session  # lazy: fast CLI start

    from hotline.core.migrate import upgrade  # lazy: fast CLI start
    from hotline.core.times import utcnow  # lazy: fast CLI start
    from hotline.kb import evaluate as ev  # lazy: fast CLI start

    if not replied.is_file():
        _fail(f"找不到文件 {replied}")
    pairs = ev.read_replied(replied)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(database_url or f"sqlite:///{tmp}/kb_eval.db")
        upgrade(engine)
        now = utcnow()
        with Session(engine) as session:
            mapping = ev.load(session, pairs, now)
            session.commit()
            results = [ev.run_kb(session, pairs, mapping, now)]
        engine.dispose()
    if baseline:
        results += ev.bm25s_baselines(pairs)
    typer.echo(f"{len(pairs)} 条答复作条目，{len(pairs)} 条留言正文作查询（{engine.dialect.name}）")
    typer.echo(f"{'':40} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'p50 ms':>8} {'p95 ms':>8} "
               f"{'CPU p50':>8} {'CPU p95':>8}")
    for r in results:
        f = r.figures()
        typer.echo(f"{f['name']:40} {f['recall@1']:>6} {f['recall@5']:>6} {f['mrr']:>6} "
                   f"{f['p50_ms']:>8} {f['p95_ms']:>8} {f['cpu_p50_ms']:>8} {f['cpu_p95_ms']:>8}")
