"""The demo city (演示市): units, users for every role, and ~200 tickets in every state.

Everything here is written by us (synthetic), never copied from shared data. Tickets are driven
through the real services at back-dated times, so their histories, clocks and warnings are
exactly what the product would have produced — some at risk, some overdue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, func, select

from hotline.core.times import utcnow
from hotline.kb.importing import import_csv
from hotline.tickets.commands import apply, create_ticket
from hotline.tickets.due_times import warning_level
from hotline.tickets.models import Rating, Ticket
from hotline.tickets.payloads import (
    AnswerDirectly,
    ApproveExtension,
    Archive,
    Close,
    Dispatch,
    EmergencyHandover,
    Forward,
    Merge,
    NotAccept,
    NotAcceptedReason,
    Payload,
    Reply,
    RequestExtension,
    Return,
    Rework,
    Sign,
    Supervise,
    Visit,
    WarmTransfer,
)
from hotline.tickets.schemas import TicketCreate
from hotline.units.actor import Actor, actor_for
from hotline.units.models import Unit, User
from hotline.units.tree import create_unit
from hotline.units.users import create_user, hash_password

#: The demo city's knowledge base (our own text): what the "answered" tickets cite.
DEMO_KB = Path(__file__).resolve().parent / "kb" / "demo_kb.csv"

DEMO_PASSWORD = "demo"

# code, name, kind, parent code
UNITS: list[tuple[str, str, str, str | None]] = [
    ("HL", "演示市12345热线中心", "hotline", None),
    ("DC", "东城区人民政府", "district_gov", "HL"),
    ("XC", "西城区人民政府", "district_gov", "HL"),
    ("NH", "南湖区人民政府", "district_gov", "HL"),
    ("DC-DH", "东华街道办事处", "street", "DC"),
    ("DC-DHU", "东湖街道办事处", "street", "DC"),
    ("XC-XG", "西关街道办事处", "street", "XC"),
    ("XC-XS", "西山街道办事处", "street", "XC"),
    ("NH-NY", "南苑街道办事处", "street", "NH"),
    ("NH-HB", "湖滨街道办事处", "street", "NH"),
    ("DC-DH-GH", "东华街道桂花社区", "community", "DC-DH"),
    ("DC-DH-LY", "东华街道柳营社区", "community", "DC-DH"),
    ("XC-XG-QS", "西关街道青石社区", "community", "XC-XG"),
    ("NH-NY-YH", "南苑街道月湖社区", "community", "NH-NY"),
    ("DC-ZJ", "东城区住房和城乡建设局", "district_dept", "DC"),
    ("NH-CG", "南湖区城市管理局", "district_dept", "NH"),
    ("ZJW", "市住房和城乡建设委员会", "city_dept", "HL"),
    ("STH", "市生态环境局", "city_dept", "HL"),
    ("JTJ", "市交通运输局", "city_dept", "HL"),
    ("SJJ", "市市场监督管理局", "city_dept", "HL"),
    ("RSJ", "市人力资源和社会保障局", "city_dept", "HL"),
    ("CGJ", "市城市管理局", "city_dept", "HL"),
    ("JYJ", "市教育局", "city_dept", "HL"),
    ("WJW", "市卫生健康委员会", "city_dept", "HL"),
    ("ZJW-WY", "市住建委物业管理处", "handler", "ZJW"),
    ("SJJ-XB", "市市场监管局消费者权益保护处", "handler", "SJJ"),
    ("RSJ-JC", "市劳动保障监察支队", "handler", "RSJ"),
]

# username, full name, role, unit code
USERS: list[tuple[str, str, str, str]] = [
    ("admin", "系统管理员", "admin", "HL"),
    ("agent", "王小敏（话务员）", "agent", "HL"),
    ("agent2", "李晓红（话务员）", "agent", "HL"),
    ("supervisor", "赵建国（督办）", "supervisor", "HL"),
    ("dongcheng", "东城区热线办", "unit_handler", "DC"),
    ("dongcheng_mgr", "东城区热线办主任", "unit_manager", "DC"),
    ("xicheng_mgr", "西城区热线办主任", "unit_manager", "XC"),
    ("nanhu_mgr", "南湖区热线办主任", "unit_manager", "NH"),
    ("donghua", "东华街道承办人", "unit_handler", "DC-DH"),
    ("donghua_mgr", "东华街道负责人", "unit_manager", "DC-DH"),
    ("donghu", "东湖街道承办人", "unit_handler", "DC-DHU"),
    ("xiguan", "西关街道承办人", "unit_handler", "XC-XG"),
    ("xishan", "西山街道承办人", "unit_handler", "XC-XS"),
    ("nanyuan", "南苑街道承办人", "unit_handler", "NH-NY"),
    ("hubin", "湖滨街道承办人", "unit_handler", "NH-HB"),
    ("guihua", "桂花社区网格员", "unit_handler", "DC-DH-GH"),
    ("liuying", "柳营社区网格员", "unit_handler", "DC-DH-LY"),
    ("qingshi", "青石社区网格员", "unit_handler", "XC-XG-QS"),
    ("yuehu", "月湖社区网格员", "unit_handler", "NH-NY-YH"),
    ("dc_zjj", "东城区住建局承办人", "unit_handler", "DC-ZJ"),
    ("nh_cgj", "南湖区城管局承办人", "unit_handler", "NH-CG"),
    ("scjg_xb", "消费者权益保护处承办人", "unit_handler", "SJJ-XB"),
    ("rsj_jc", "劳动保障监察支队承办人", "unit_handler", "RSJ-JC"),
    ("zjw", "市住建委承办人", "unit_handler", "ZJW"),
    ("zjw_mgr", "市住建委负责人", "unit_manager", "ZJW"),
    ("zjw_wy", "物业管理处承办人", "unit_handler", "ZJW-WY"),
    ("sthj", "市生态环境局承办人", "unit_handler", "STH"),
    ("jtj", "市交通运输局承办人", "unit_handler", "JTJ"),
    ("scjg", "市市场监管局承办人", "unit_handler", "SJJ"),
    ("scjg_mgr", "市市场监管局负责人", "unit_manager", "SJJ"),
    ("rsj", "市人社局承办人", "unit_handler", "RSJ"),
    ("rsj_mgr", "市人社局负责人", "unit_manager", "RSJ"),
    ("cgj", "市城管局承办人", "unit_handler", "CGJ"),
    ("jyj", "市教育局承办人", "unit_handler", "JYJ"),
    ("wjw", "市卫健委承办人", "unit_handler", "WJW"),
]

# category, request type, lead unit code, sub-unit code or None, text, address
TEMPLATES: list[tuple[str, str, str, str | None, str, str]] = [
    ("环境保护/噪声污染", "投诉", "DC-DH", "DC-DH-GH",
     "我是桂花苑小区的住户，楼下烧烤店每天晚上营业到凌晨两点，油烟和吵闹声很大，孩子没法睡觉，希望尽快处理。",
     "东城区东华街道桂花苑小区3栋"),
    ("城乡建设/物业管理", "投诉", "ZJW", "ZJW-WY",
     "小区物业公司擅自提高物业费，也没有开业主大会，电梯坏了半个月没人修，请主管部门查一查。",
     "西城区西关街道锦绣华庭"),
    ("城乡建设/市政设施", "求助", "XC-XG", "XC-XG-QS",
     "青石路和学院路路口的井盖松动了，晚上骑电动车经过差点摔倒，麻烦尽快派人修一下。",
     "西城区青石路与学院路交叉口"),
    ("劳动和社会保障/欠薪", "投诉", "RSJ", "RSJ-JC",
     "我在南湖区一个工地干了三个月木工，包工头拖欠工资一万八千元一直不给，电话也不接了。",
     "南湖区湖滨街道滨江新城工地"),
    ("劳动和社会保障/社保医保", "咨询", "RSJ", None,
     "想问一下灵活就业人员怎么缴纳职工养老保险，在网上办还是要去窗口，需要带什么材料？",
     "演示市"),
    ("商贸旅游/消费维权", "投诉", "SJJ", "SJJ-XB",
     "在东湖商场买的冰箱用了一周就不制冷，商家不给退换，说只能修，请帮忙协调。",
     "东城区东湖街道东湖商场"),
    ("商贸旅游/食品安全", "举报", "SJJ", None,
     "西山农贸市场有摊位卖的熟食没有任何标签，卫生条件很差，苍蝇很多，怀疑无证经营。",
     "西城区西山街道农贸市场"),
    ("交通运输/公交出租", "建议", "JTJ", None,
     "建议12路公交车早高峰加密班次，现在十五分钟一班，南苑站每天都挤不上车。",
     "南湖区南苑街道公交南苑站"),
    ("交通运输/道路停车", "投诉", "NH-NY", "NH-NY-YH",
     "月湖小区门口人行道上长期停满车辆，老人推婴儿车只能走机动车道，很危险。",
     "南湖区南苑街道月湖小区南门"),
    ("城市管理/占道经营", "投诉", "CGJ", None,
     "东华路夜市摊贩占满了人行道，垃圾随地扔，商户门口都被堵住了，希望城管管理一下。",
     "东城区东华路夜市"),
    ("城市管理/违章搭建", "举报", "NH", "NH-CG",
     "湖滨花园有业主在楼顶私自搭建彩钢房，影响楼上防水，也有安全隐患。",
     "南湖区湖滨街道湖滨花园8栋"),
    ("教育文体/招生入学", "咨询", "JYJ", None,
     "孩子明年上小学，我们是租房户，想问积分入学需要哪些证明，什么时候开始报名？",
     "演示市"),
    ("教育文体/学校管理", "投诉", "JYJ", None,
     "孩子学校要求家长统一购买指定的教辅资料，每学期四百多元，不买老师就点名，合理吗？",
     "西城区西关街道实验小学"),
    ("卫生计生/医疗服务", "投诉", "WJW", None,
     "昨天在市第二医院急诊等了四个多小时没人看，护士态度也很差，希望医院改进。",
     "东城区市第二人民医院"),
    ("环境保护/大气污染", "举报", "STH", None,
     "西山工业园有家工厂晚上偷偷排放黑烟，气味刺鼻，附近居民都不敢开窗。",
     "西城区西山街道工业园"),
    ("环境保护/水污染", "投诉", "STH", None,
     "南湖边的排水口最近一直有发黑发臭的水流进湖里，鱼都死了好多。",
     "南湖区湖滨街道南湖公园东侧"),
    ("城乡建设/房屋质量", "求助", "DC", "DC-ZJ",
     "我家新交房的房子卫生间漏水到楼下，开发商一直推脱，请住建部门督促维修。",
     "东城区东湖街道翡翠湾小区"),
    ("城乡建设/市政设施", "投诉", "DC-DHU", None,
     "东湖路的路灯坏了一整排，晚上黑漆漆的，下晚自习的学生走着很害怕。",
     "东城区东湖路"),
    ("劳动和社会保障/社保医保", "咨询", "RSJ", None,
     "异地就医备案怎么办理？老人要去外省住院，能不能直接结算？",
     "演示市"),
    ("商贸旅游/消费维权", "投诉", "SJJ", "SJJ-XB",
     "健身房突然关门，老板联系不上，我办的年卡还有八个月没用，怎么维权？",
     "西城区西关街道健身会所"),
    ("城乡建设/物业管理", "咨询", "ZJW", None,
     "想问一下维修资金怎么申请使用，小区外墙脱落需要维修，需要多少业主签字？",
     "东城区东华街道"),
    ("环境保护/噪声污染", "投诉", "NH-HB", None,
     "湖滨街道旁边工地每天晚上十点以后还在施工打桩，严重扰民，有夜间施工许可吗？",
     "南湖区湖滨街道滨江路工地"),
    ("交通运输/公交出租", "投诉", "JTJ", None,
     "昨晚从火车站打出租车，司机不打表还绕路，要了八十块，车牌号我记下来了。",
     "演示市火车站"),
    ("教育文体/学校管理", "表扬", "JYJ", None,
     "感谢西关小学的王老师，孩子生病期间每天给孩子补课，非常负责，特此表扬。",
     "西城区西关小学"),
]

NAMES = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴", "徐", "孙"]


@dataclass
class SeedReport:
    units: int = 0
    users: int = 0
    tickets: int = 0
    overdue: int = 0
    at_risk: int = 0
    accounts: list[tuple[str, str]] = field(default_factory=list)


def has_data(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Unit)).one() > 0


def seed_units_and_users(session: Session) -> tuple[dict[str, Unit], dict[str, User]]:
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        units[code] = create_unit(session, code=code, name=name, kind=kind,
                                  parent_id=units[parent].id if parent else None)
    hashed = hash_password(DEMO_PASSWORD)  # one argon2 hash for every demo account
    users: dict[str, User] = {}
    for username, full_name, role, unit_code in USERS:
        users[username] = create_user(session, username=username, full_name=full_name,
                                      role=role, unit_id=units[unit_code].id,
                                      password=DEMO_PASSWORD, password_hash=hashed)
    return units, users


# The life stories a ticket can have; weights give a believable mix of states.
STORIES: list[tuple[str, int]] = [
    ("registered", 6), ("answered", 14), ("transferred", 3), ("not_accepted", 5),
    ("emergency", 4), ("dispatched", 22), ("in_progress", 40), ("forwarded", 14),
    ("returned", 8), ("extension", 8), ("replied", 18), ("visited", 12), ("closed", 26),
    ("verifying", 5), ("rework", 6), ("supervised", 6), ("merged", 3), ("archived", 4),
    ("due_soon", 8),
]


def seed(session: Session, tickets: int = 200, *, rng_seed: int = 12345,
         now: datetime | None = None) -> SeedReport:
    now = now or utcnow()
    rng = random.Random(rng_seed)
    units, users = seed_units_and_users(session)
    actors = {name: actor_for(session, user) for name, user in users.items()}
    handler_of = {u.unit_id: actors[name] for name, u in users.items()
                  if u.role == "unit_handler"}
    manager_of = {u.unit_id: actors[name] for name, u in users.items()
                  if u.role == "unit_manager"}
    report = SeedReport(units=len(units), users=len(users))
    kb_ids = [e.id for e in import_csv(session, DEMO_KB.read_text("utf-8"), None, now)]
    stories = [s for s, _ in STORIES]
    weights = [w for _, w in STORIES]
    made: list[Ticket] = []
    for i in range(tickets):
        story = rng.choices(stories, weights)[0] if i >= len(stories) else stories[i]
        made.append(_tell(session, rng, story, units, actors, handler_of, manager_of, made, now,
                          kb_ids=kb_ids))
    session.flush()
    report.tickets = len(made)
    for t in made:
        level = warning_level(t, now)
        report.overdue += level == "overdue"
        report.at_risk += level == "at_risk"
    report.accounts = [(u, f"{n}") for u, n, _r, _c in USERS]
    return report


def _tell(
    session: Session, rng: random.Random, story: str, units: dict[str, Unit],
    actors: dict[str, Actor], handler_of: dict[int, Actor], manager_of: dict[int, Actor],
    made: list[Ticket], now: datetime, *, kb_ids: list[int],
) -> Ticket:
    category, rtype, lead_code, sub_code, text, address = rng.choice(TEMPLATES)
    agent = actors[rng.choice(["agent", "agent2"])]
    supervisor = actors["supervisor"]
    # Start between 1 hour and 28 days ago, during office hours.
    t = now - timedelta(days=rng.uniform(0.05, 28), hours=rng.uniform(0, 3))
    phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
    data = TicketCreate.model_validate({
        "channel": rng.choice(["phone"] * 6 + ["web", "app", "wechat"]),
        "caller_name": rng.choice(NAMES) + rng.choice(["先生", "女士"]) if rng.random() < 0.8 else None,
        "caller_phone": phone, "request_type": rtype, "category": category, "content": text,
        "address": address,
    })
    ticket = create_ticket(session, agent, data, now=t)

    def step(actor: Actor, payload: Payload, hours: float = 2.0) -> None:
        nonlocal t
        t = min(t + timedelta(hours=rng.uniform(0.2, hours)), now - timedelta(minutes=1))
        apply(session, actor, ticket, payload, now=t)

    if story == "registered":
        return ticket
    if story == "answered":
        step(agent, AnswerDirectly(answer="已根据知识库答复来电人办理流程和所需材料。",
                                   kb_entries=kb_ids[:1]), 0.3)
        return ticket
    if story == "transferred":
        step(agent, WarmTransfer(target="市供电公司95598", caller_consent=True), 0.2)
        return ticket
    if story == "not_accepted":
        step(agent, NotAccept(reason_code=NotAcceptedReason.litigation,
                              reason="该事项已进入诉讼程序，请通过法院解决。",
                              referral="演示市中级人民法院"), 0.3)
        return ticket
    if story == "emergency":
        step(agent, EmergencyHandover(service=rng.choice(["110", "119", "120"]),
                                      reason="来电人称有人受伤，已转接应急专线"), 0.1)
        return ticket
    lead = units[lead_code]
    if story == "due_soon":
        # A deadline given at dispatch (CQ §13(二)) that falls within the next working day.
        due = now + timedelta(hours=rng.uniform(6, 30))
        step(agent, Dispatch(lead_unit_id=lead.id, category=category, due_at=due), 1)
    else:
        step(agent, Dispatch(lead_unit_id=lead.id, category=category), 1)
    lead_actor = handler_of.get(lead.id) or manager_of.get(lead.id)
    if lead_actor is None or story == "dispatched":
        return ticket
    if story == "returned":
        step(lead_actor, Return(reason="该事项不属于本单位职责，建议派发给市级主管部门。"), 20)
        return ticket
    step(lead_actor, Sign(), 6)
    holder = lead_actor
    sub_actor = handler_of.get(units[sub_code].id) if sub_code else None
    if sub_actor is not None and story in ("forwarded", "replied", "closed", "visited", "rework",
                                           "verifying"):
        step(lead_actor, Forward(to_unit_id=sub_actor.unit.id), 4)
        step(sub_actor, Sign(), 6)
        holder = sub_actor
    if story in ("in_progress", "forwarded", "due_soon"):
        return ticket
    if story == "extension":
        step(holder, RequestExtension(reason="需协调多个部门现场核查，申请延期。", add_working_days=5), 30)
        approver = manager_of.get(units[lead_code].parent_id or 0) or actors["supervisor"]
        if rng.random() < 0.6:
            step(approver, ApproveExtension(reason="同意延期"), 10)
        return ticket
    if story == "supervised":
        step(supervisor, Supervise(reason="群众反映强烈，请加快办理"), 48)
        return ticket
    if story == "merged":
        target = next((m for m in reversed(made) if m.status in ("in_progress", "dispatched")), None)
        if target is not None:
            step(agent, Merge(target_number=target.number, reason="同一事项重复来电"), 2)
        return ticket
    step(holder, Reply(content="经现场核查，已责成相关方整改，并电话告知来电人处理结果。"), 80)
    if story == "replied":
        return ticket
    rating = Rating.dissatisfied if story in ("verifying", "rework") else rng.choice(
        [Rating.satisfied, Rating.satisfied, Rating.basically_satisfied])
    step(agent, Visit(rating=rating, comment="来电人对处理结果的评价"), 24)
    if story == "visited":
        return ticket
    if story in ("verifying", "rework"):
        if story == "rework":
            step(supervisor, Rework(reason="核实发现问题未整改到位，要求重办"), 4)
        return ticket
    step(agent, Close(), 4)
    if story == "archived":
        step(supervisor, Archive(), 24)
    return ticket
