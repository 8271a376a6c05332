"""Safety screening at intake: emergencies (CQ §10) and matters not accepted (CQ §9).

CQ §10: requests that concern the safety of life and property go to the emergency lines
110 / 119 / 120 / 122; the hotline transfers at once and reports to its supervisors.
CQ §9: the hotline does not accept (一) matters for litigation, arbitration, discipline
inspection, administrative reconsideration or government information disclosure, and
petitions already in the 信访 channel; (二) state or commercial secrets, personal privacy,
matters against public order and good morals. The caller is told why and, where known,
which body handles it.

A missed emergency is the worst error this product can make, so the rules are written for
recall: a trigger is only discounted when its own clause says the danger is over (火已经灭了),
denies it (没有着火) or is hypothetical (万一着火). A statistical model trained on the
bundled seed phrases backs the rules up for wordings the rules do not know.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifier.text import normalize
from vocabulary import NotAcceptedReason

Kind = Literal["emergency", "not_accepted", "none"]


@dataclass(frozen=True)
class SafetyFinding:
    kind: Kind
    service: str | None = None
    reason_code: str | None = None
    referral: str | None = None
    triggers: list[str] = field(default_factory=list)
    score: float = 0.0
    # Triggers that were seen but discounted (past, negated, hypothetical): shown to the
    # agent so a wrong discount is easy to spot and override.
    discounted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Rule:
    reason: str
    service: str | None
    pattern: re.Pattern[str]
    referral: str | None = None


def _rx(*alts: str) -> re.Pattern[str]:
    return re.compile("|".join(alts))


# ---- CQ §10 emergencies -------------------------------------------------------------
# Order matters only for the reason reported when several match; every rule is checked.
EMERGENCY_RULES: list[_Rule] = [
    _Rule("fire", "119", _rx(
        r"着火", r"起火", r"失火", r"火灾", r"火警", r"烧起来", r"燃起来", r"火势", r"大火",
        r"冒(?:黑|浓)?烟.{0,6}(?:火|烧)",
        r"浓烟",
        r"火苗", r"火星", r"救火", r"(?:还在|正在)(?:烧|冒烟)", r"烧焦", r"焦糊味",
        r"(?:房子|屋|车|楼|厨房|仓库|电瓶车|电动车)(?:子)?(?:烧|着)了",
        # Fire described without the word: smoke, flames, something burning (CQ §10).
        r"(?<!油)(?<!抽)(?<!吸)(?<!香)(?<!烟花)冒(?:黑|白|青|浓)?烟",
        r"(?:黑|白|浓)烟滚滚", r"(?<![油香])烟(?:好|很|特别|越来越|非常)?(?:大|浓)(?!的?(?:污染|问题))",
        r"全是烟", r"(?:烟|浓烟)往.{0,6}(?:灌|窜|冒|飘)", r"呛得.{0,6}(?:睁不开|喘不|受不了)",
        r"火光", r"明火", r"(?:冒|窜|蹿|喷)(?:出)?(?:火花|火苗|火舌)", r"火花",
        r"(?:油|锅|东西|电线|插座|电池|被子|窗帘|沙发|车)(?:\S{0,4})?烧着了?",
        r"(?:有东西|什么东西)(?:在)?烧", r"(?:草|树|山|林子|秸秆|垃圾|柴堆)(?:烧起来|在烧|烧着)",
        r"烧焦(?:的)?(?:味|气味)", r"(?:塑料|橡胶|电线)(?:烧)?(?:焦|糊)(?:的)?味",
        r"烟(?:雾)?报警器.{0,4}(?:响|叫)", r"烧着了", r"焦(?:糊)?味", r"爆裂声",
        r"火(?:越来越|很|特别|非常)(?:旺|大)",
    )),
    _Rule("gas_leak", "119", _rx(
        r"(?:煤气|燃气|天然气|液化气|气罐)(?:管道?)?(?:泄漏|泄露|漏气|漏了)",
        r"闻到.{0,4}(?:煤气|燃气|天然气)味",
        r"(?:煤气|燃气|天然气)味(?:很|特别|非常)?(?:大|重|浓)",
        r"(?:燃气|煤气|天然气)(?:管道?|管线)?(?:被)?(?:挖|弄|撞|压)?(?:破|断)了?",
        r"(?:燃气灶|煤气灶|燃气|煤气)(?:罐|管)?漏气",
        r"(?:浓|重|刺鼻|呛人|很大|冲)的?(?:煤气|燃气|天然气|液化气)(?:味|气味|的味道)",
        r"(?:煤气|燃气|天然气|液化气)(?:的)?(?:味|气味|味道)", r"臭鸡蛋味",
        r"(?:煤气|燃气|天然气|液化气).{0,10}(?:刺鼻|(?<!没有)(?:气味|味道)(?:很|特别|非常)?(?:大|重|浓|冲))",
        r"(?:气瓶|气罐|钢瓶|液化气瓶)(?:在)?.{0,4}(?:嘶嘶|喷气|往外(?:喷|冒))",
    )),
    _Rule("explosion", "119", _rx(r"爆炸", r"炸了")),
    _Rule("rescue", "119", _rx(
        r"(?:被)?困在?(?:电梯|楼|屋|房|车|井|山|水)",
        r"电梯.{0,6}(?:困|关)(?:住|着)?.{0,4}人",
        r"被困",
        r"卡住.{0,4}(?:出不来|动不了)", r"掉(?:进|到|下)?.{0,4}(?:井|坑|洞|下水道|化粪池)",
        r"(?:有人|人)掉下去了", r"电梯.{0,10}(?:关着|困着|卡着)",
        r"电梯.{0,10}(?:往下掉|下坠|坠落|掉下去|失控|冲顶|蹲底|溜梯|急坠|往下滑|滑到|滑下|直接掉)",
        r"(?:我们|人|他们|她们|孩子|老人)(?:还|都)在里面",
        r"(?:关|卡|锁)在(?:了)?.{0,4}(?:电梯|轿厢)(?:里)?", r"(?:停|卡)在两层(?:楼)?中间",
        r"(?:我们|人|他|她)出不来", r"打不开.{0,10}(?:关|困|锁)在(?:了)?里面",
        r"(?:被)?(?:水)?围在.{0,8}(?:中间|中央|孤岛|石滩|沙洲|桥墩)",
        r"(?:淹|没|漫)(?:到|过|了)?(?:了)?(?:腰|胸口?|脖子|头顶|车顶|车窗)",
        r"(?:被|让)?(?:洪水|大水|河水|水)(?:围|困|冲走|卷走)", r"(?:冲走|卷走)了",
        r"(?:爬|站|躲|坐|趴)(?:到|在)(?:了)?(?:车顶|屋顶|房顶|树上)", r"车顶上(?:站|坐|趴)着",
        r"(?:车|人).{0,4}泡在水里", r"(?:下去|下水).{0,6}没(?:上来|出来)",
    )),
    _Rule("violence", "110", _rx(
        r"持刀",
        r"拿(?:着)?刀",
        r"砍人",
        r"砍伤",
        r"捅(?:人|伤|了)",
        r"杀人",
        r"要杀",
        r"打人", r"打伤", r"撬(?:我家|门|锁)",
        r"(?:被|把人)打(?:伤|了|得)",
        r"打架",
        r"斗殴",
        r"群殴",
        r"殴打",
        r"家暴",
        r"家庭暴力",
        r"施暴",
        r"抢劫",
        r"抢(?:包|钱|手机)", r"被(?:人)?抢(?:了|走)", r"(?:捅|砍|掐|打)死",
        r"绑架",
        r"劫持",
        r"强奸",
        r"非法拘禁",
        r"关起来不让走",
        r"威胁.{0,6}(?:杀|砍|弄死|打死)",
        r"弄死",
        r"打死",
        r"(?:有人|小偷).{0,4}(?:撬门|撬锁|入室|翻窗)",
        r"正在偷",
        r"持枪",
        r"拿(?:着)?(?:枪|棍子|铁棍|砖头)",
    )),
    _Rule("traffic", "122", _rx(
        r"车祸",
        r"交通事故",
        r"追尾",
        r"(?:被|把)?(?:车|汽车|货车|卡车|电动车|摩托车)?撞(?:了|伤|倒|飞)",
        r"撞人",
        r"翻车", r"侧翻", r"肇事逃逸", r"撞车", r"相撞", r"撞上", r"连环撞",
    )),
    _Rule("danger", "110", _rx(
        r"跳楼",
        r"跳河",
        r"轻生",
        r"自杀",
        r"寻短见",
        r"不想活",
        r"溺水",
        r"落水",
        r"(?:要|想|准备)(?:往下)?跳(?:下去|楼|河|江|桥|海)?", r"跳下去", r"想不开",
        r"结束(?:自己的)?生命", r"活不下去", r"寻死", r"活着没(?:意思|意义|劲)", r"把自己(?:锁|关)在",
        r"(?:坐|站|爬)(?:在|到)(?:了)?.{0,10}(?:楼顶|天台|顶楼|窗台|窗户外|栏杆外|桥上|楼顶边)",
        r"(?:河|江|湖|水|海)里扑腾", r"不会游泳",
        r"有人掉(?:进|到)?(?:河|湖|水)",
        r"(?:孩子|小孩|老人).{0,4}(?:走丢|丢了|找不到(?!学|工作|地方|车位|幼儿园)|失踪)",
        r"失踪", r"走失",
        r"掉(?:进|到)?.{0,4}(?:河|湖|江|水)里",
        r"掉(?:进|到|入|在)?.{0,8}(?:水池|池塘|水塘|水库|鱼塘|泳池|水沟|河沟|河道|江里|海里)",
        r"(?:房子|楼|墙|桥|屋顶|脚手架|塔吊).{0,4}(?:塌|倒)(?:了|下来)",
        r"坍塌", r"(?:要|快)塌了", r"(?:电线|高压线).{0,6}(?:掉|断|垂)(?:下来|了|在地上)", r"漏电",
        r"救命", r"危险.{0,4}(?:快|赶紧)",
    )),
    _Rule("police", "110", _rx(
        # theft
        r"(?<![不防])(?:被|让人|被人)?偷(?:走|了|东西|车|钱|手机)(?!减|工|懒)", r"被(?:人)?偷",
        r"被盗", r"失窃", r"盗窃", r"小偷", r"扒手", r"被扒", r"(?:进|来)了?(?:小)?贼",
        r"(?:被人)?撬(?:了|开)", r"挨家挨户.{0,4}(?:推门|拧门|撬)",
        r"被(?:人)?(?:拿走|顺走|偷拿|抢走|砸(?:了|坏|烂|碎))",
        r"(?:车窗|玻璃|门锁|车)被(?:人)?(?:砸|撬|敲|划)",
        # fraud
        r"(?<!防)诈骗", r"骗子", r"(?:被|让人)(?:人)?(?:以.{0,10})?骗(?:走|了)?.{0,6}(?:万|千|百|钱|块|元)",
        r"(?:安全账户|刷单|杀猪盘)", r"(?:提不了现|无法提现|提现不了|不能提现)",
        r"平台.{0,4}(?:失联|跑路)", r"被.{0,12}骗(?:了|走)",
        r"冒充.{0,6}(?:公安|警察|检察|法院|客服|领导|老板|亲戚|熟人)",
        r"转(?:了|账).{0,12}(?:拉黑|联系不上|是假的)",
        # gambling, drugs
        r"赌博", r"赌场", r"赌钱", r"开赌", r"(?<!禁)毒品", r"吸毒", r"贩毒", r"卖毒", r"冰毒", r"大麻",
        r"摇头丸", r"K粉",
        # a missing child
        r"(?:孩子|小孩|儿子|女儿|孙子|孙女|娃).{0,10}"
        r"(?:不见了|没回家|还没回来|联系不上|打不通|没找到|找不着)",
        r"走散", r"(?:把|将).{0,6}(?:小孩|孩子|娃).{0,2}(?:抱走|带走|拐走)", r"人贩子",
        r"拐(?:卖|走|跑)",
        # a fight about to start
        r"(?:要|快|马上|准备)(?:要)?(?:打|干)起来", r"干一架", r"约架", r"扭打", r"推搡",
        r"(?:要|准备)动手", r"动起手", r"拿着?(?:棍子|棒子|铁棍|钢管|啤酒瓶|酒瓶|砖头)",
        r"(?<![拥周外入包])(?:堵|围)(?:着|住)(?:人(?![行员群家])|我|他|她)",
        # complaints about police conduct (警务投诉)
        r"(?:警察|民警|辅警|派出所|交警|公安|出警).{0,12}(?:态度|不作为|推诿|不管|不(?:给|予)?立案|"
        r"不出警|出警(?:太|很)?慢|打人|骂人|推了|乱罚|罚款|违规|刁难|不处理|敷衍|摔了|砸了|打了我|扣了|拖着)",
        r"投诉.{0,6}(?:警察|民警|辅警|派出所|交警|公安)",
        r"(?:接警|报警|报了警)(?:后|了|以后|之后)?.{0,10}(?:没人来|没来|不来|没人管|没有人来|没人处理)",
        # other matters in 110's remit
        r"露下体|暴露(?:下体|身体)|猥亵|耍流氓|咸猪手", r"跟踪(?:我|她|他)", r"威胁(?:我|她|他|说|要)",
        r"蹲守", r"纠缠", r"敲诈", r"勒索", r"偷拍", r"卖淫", r"嫖娼", r"传销",
    )),
    _Rule("medical", "120", _rx(
        r"晕倒",
        r"昏倒",
        r"昏迷",
        r"不省人事",
        r"没(?:有)?(?:了)?(?:呼吸|心跳|意识)",
        r"喘不(?:上|过)气",
        r"心脏病(?:犯|发作)",
        r"心梗",
        r"脑梗",
        r"中风",
        r"抽搐",
        r"口吐白沫", r"吐白沫", r"倒在地上(?:不动|起不来|抽)",
        r"大出血",
        r"流了?很多血",
        r"(?:血流|流血)不止",
        r"(?:食物|煤气|一氧化碳|农药)?中毒",
        r"(?:吃|喝)了?.{0,4}(?:农药|安眠药|老鼠药|百草枯)",
        r"快不行了", r"摔(?:倒|伤)了?.{0,6}(?:起不来|动不了)", r"(?:要|快)生了", r"羊水破了",
        r"(?:叫|打|需要)(?:个)?(?:救护车|120)",
        r"受伤.{0,4}(?:严重|很重)",
        r"骨折", r"(?:头|脑袋)(?:磕|摔|撞|打)?破", r"(?:摔|滚)下来", r"从.{0,8}掉下来", r"割腕",
        r"休克",
        r"触电",
    )),
]

# Discount markers, checked in the trigger's own clause only.
_PAST = _rx(
    r"已经?(?:被)?(?:扑灭|灭了|熄灭|处理(?:好|完)?了?|送(?:到|去)?医院|送医|抢救过来|出院|脱险|救出来|解决|报过警|报警了)",
    r"火(?:已经?)?(?:灭|熄)了", r"以前", r"上次", r"之前", r"过去", r"曾经", r"发生过",
    r"(?:医保|保险)(?:能|可以)?(?:报|报销|理赔)", r"报销流程",
    r"(?:上|前)(?:个)?(?:月|周|星期|礼拜)",
    r"(?:去|前)年", r"(?:昨|前)天", r"前几天",
    r"几(?:年|个月)前",
    r"那次",
    r"(?:事故|车祸)(?:已经?)?(?:处理|定责|结案)",
    r"(?:咨询|问一下|问问|请问).{0,8}(?:赔偿|理赔|保险|责任|鉴定|流程)",
    r"(?:赔偿|理赔|保险)(?:的)?(?:问题|事情|流程|怎么)",
)
_NEGATION = _rx(r"(?:不|没有?|并没有?|不是|并非|无|防)(?:人)?(?:发生)?$")
# Hazard talk after the trigger: 火灾隐患, 溺水风险, 着火以后的费用.
_AFTER = _rx(r"^(?:的)?(?:应急|安全)?(?:隐患|风险|演练|演习|宣传|知识|预防|防控|以后|之后|后的|处置培训)")
# Blocked fire lanes are a routine 12345 complaint whose callers say "着火了怎么办".
_FIRE_LANE = _rx(
    r"消防(?:通道|车道|栓).{0,8}(?:占|堵|停)", r"(?:占|堵)(?:了|住|着)?消防(?:通道|车道)"
)
_HYPOTHETICAL = _rx(
    r"(?:万一|如果|要是|假如|一旦|怕|担心|害怕|容易|防止|预防|避免|隐患|演练|演习|宣传|培训|知识|经常|常常|总是|老是|频发|多发)",
    r"(?:每天|天天|每晚|每次|一到(?:晚上|下雨|冬天))",
    r"(?:了解一下|想了解)",
)
# "…了应该打哪个电话": a question about what one would do, not a call for help.
_ASKING = _rx(r"应该打哪|该打哪|该找谁|找哪个部门")
# Smoke that is a routine nuisance, not a fire: cooking fumes, cigarettes, fireworks, chimneys.
_ROUTINE_SMOKE = _rx(r"烟花|鞭炮|爆竹|烧烤|油烟|抽烟|吸烟|香烟|烟囱|烟味飘|熏")
_LIVE = _rx(
    r"正在", r"(?<!到)现在还", r"刚(?:刚|才)", r"赶紧", r"快(?:来|点|派)", r"马上", r"救命", r"还在",
    r"来不及",
)
_CLAUSE_SPLIT = re.compile(r"[。！？!?；;\n]|，(?=但|可是|现在|结果)")

# ---- CQ §9 not accepted --------------------------------------------------------------
NOT_ACCEPTED_RULES: list[_Rule] = [
    _Rule("litigation", None, _rx(
        r"起诉",
        r"诉讼",
        r"打官司",
        r"(?:法院|法庭)(?:的)?(?:判决|裁定|立案|执行|开庭|传票)",
        r"判决书",
        r"强制执行",
        r"上诉", r"再审", r"申请执行",
    ), "人民法院"),
    _Rule("arbitration", None, _rx(r"仲裁", r"劳动争议.{0,6}裁决"), "劳动人事争议仲裁委员会或仲裁委员会"),
    _Rule("discipline", None, _rx(
        r"纪委", r"监委", r"纪检", r"监察委",
        r"(?:党员|干部|官员|领导|局长|书记|村支书|主任).{0,10}(?:贪污|受贿|腐败|违纪|吃拿卡要|公款吃喝)",
        r"贪污", r"受贿", r"行贿",
    ), "纪委监委"),
    _Rule("reconsideration", None, _rx(r"行政复议", r"复议"), "行政复议机关"),
    _Rule(NotAcceptedReason.info_disclosure, None, _rx(
        r"(?:政府)?信息公开申请",
        r"申请(?:政府)?信息公开",
        r"依申请公开",
        r"申请公开.{0,10}(?:文件|信息|资料|批文)",
    ), "政府信息公开受理机构"),
    _Rule("petition", None, _rx(
        r"(?:已经?|早就|去过|一直在|正在).{0,6}(?:信访|上访)",
        r"信访(?:局|办|部门)(?:已经?)?(?:受理|答复|立案)",
        r"信访(?:事项|件|答复)",
        r"(?:到|去)(?:省里|北京|市里).{0,4}上访",
    ), "信访部门"),
    _Rule(
        "state_secret", None, _rx(r"国家秘密", r"军事(?:机密|秘密)", r"国家机密", r"涉密"),
        "国家安全机关或保密行政管理部门",
    ),
    _Rule(
        "commercial_secret", None,
        _rx(r"商业秘密", r"商业机密", r"竞争对手的(?:客户|报价|配方|资料)"), None,
    ),
    _Rule("privacy", None, _rx(
        r"(?:查|查询|查一下|告诉我|提供).{0,10}(?:他|她|别人|某人|前妻|前夫|老公|老婆|邻居|对方|女朋友|男朋友|丈夫|妻子|同事|朋友)的?.{0,6}(?:手机号|电话|住址|地址|身份证|开房记录|行踪|户籍|家庭住址|工资|病历)",
        r"个人隐私", r"开房记录", r"定位(?:他|她|别人)",
    ), None),
    _Rule("public_order", None, _rx(
        r"代孕",
        r"找小姐",
        r"色情服务",
        r"赌博.{0,6}(?:帮|怎么|教)",
        r"帮我(?:找人)?(?:讨债|要债|报复)",
        r"买(?:卖)?(?:枪|毒品|假证)",
        r"办(?:个)?假证", r"(?:帮|给)我.{0,6}作弊",
    ), "公安机关"),
]


def _clauses(text: str) -> list[tuple[int, int, str]]:
    out = []
    start = 0
    for m in _CLAUSE_SPLIT.finditer(text):
        out.append((start, m.start(), text[start : m.start()]))
        start = m.end()
    out.append((start, len(text), text[start:]))
    return out


_POLICE_DISCOUNT = _rx(
    r"(?:万一|如果|要是|假如|一旦|怕|担心|害怕|防止|预防|避免|防范|宣传|培训|知识|讲座|建议|加装|安装)",
    r"(?:以前|之前|曾经|过去|去年|几年前|前几年|那次|发生过|被偷过|被骗过)",
)
# A crime of some weeks ago told as the background of a demand on another body (物业整改…).
_POLICE_PAST = _rx(r"上个?月|上周|上星期|前段时间|前阵子|前些天")
_MANAGEMENT = _rx(r"物业|整改|加强|管理|监控|保安|路灯|门禁|围墙")
# A complaint about a merchant is a consumer dispute (市场监管), not fraud for 110.
_CONSUMER = _rx(r"商家|店家|商场|退款|退费|消费者|售后|发票|虚假宣传|培训机构|学费")


def _police_discounted(text: str, clause: str, pos_in_clause: int, trigger: str) -> bool:
    if _LIVE.search(clause):
        return False
    before = clause[:pos_in_clause]
    if _NEGATION.search(before[-4:]) or _AFTER.search(clause[pos_in_clause + len(trigger):]):
        return True
    if _POLICE_DISCOUNT.search(clause):
        return True
    if _POLICE_PAST.search(clause) and _MANAGEMENT.search(text):
        return True
    return "骗" in trigger and bool(_CONSUMER.search(text))


def _discounted(text: str, clause: str, pos_in_clause: int, trigger: str, reason: str) -> bool:
    """Recall first: only an explicit marker in the trigger's own clause discounts it, and
    any sign that the danger is live (正在, 现在还, 救命…) overrides the discount. Past-event
    markers in a neighbouring clause count too (火已经灭了，咨询赔偿)."""
    if reason == "police":
        return _police_discounted(text, clause, pos_in_clause, trigger)
    if _LIVE.search(clause):
        return False
    before = clause[:pos_in_clause]
    after = clause[pos_in_clause + len(trigger) :]
    if _NEGATION.search(before[-4:]) or _AFTER.search(after):
        return True
    if reason == "fire" and _FIRE_LANE.search(text):
        return True
    if reason == "fire" and "烟" in trigger and _ROUTINE_SMOKE.search(clause):
        return True
    if _HYPOTHETICAL.search(before[-12:]) or _ASKING.search(after[:12]):
        return True
    if _PAST.search(clause):
        return True
    return bool(_PAST.search(text) and not _LIVE.search(text))


#: Bundled training sets of the backstop model: the seed phrases, and hand-written calls
#: (emergencies, police matters, and ordinary calls that mention danger in the past, in the
#: negative or hypothetically), none of them taken from any evaluation set.
_TRAINING_FILES = ("safety_seed.csv", "safety_tuning.csv")
_FLAGGED = {"emergency", "police"}


@cache
def _seed_model() -> tuple[TfidfVectorizer, LogisticRegression, np.ndarray] | None:
    """Character n-gram model over the bundled phrases (emergency or police matter vs not),
    used only to catch wordings the rules miss: on calls written apart from the rules, the
    rules alone found a third of the emergencies; the model finds most of the rest."""
    rows: list[dict[str, str]] = []
    for name in _TRAINING_FILES:
        try:
            raw = resources.files("classifier.data").joinpath(name).read_text("utf-8")
        except FileNotFoundError:
            continue
        rows += csv.DictReader(raw.splitlines())
    texts = [normalize(r["text"]) for r in rows]
    y = [1 if r["kind"] in _FLAGGED else 0 for r in rows]
    if len(set(y)) < 2:
        return None
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    # The n-gram of each column, taken once: scikit-learn rebuilds (and sorts) the whole
    # vocabulary on every call, which was most of a dispatch's CPU in the full city day.
    return vec, clf, vec.get_feature_names_out()


class SafetyDetector:
    """Rules first (explainable, each answer names its trigger words), model as backstop."""

    def __init__(self, model_threshold: float = 0.7, use_model: bool = True) -> None:
        self.model_threshold = model_threshold
        self.use_model = use_model

    def _emergency_by_rules(self, text: str) -> tuple[list[tuple[_Rule, str]], list[str]]:
        live: list[tuple[_Rule, str]] = []
        discounted: list[str] = []
        for start, _end, clause in _clauses(text):
            for rule in EMERGENCY_RULES:
                for m in rule.pattern.finditer(clause):
                    if _discounted(text, clause, m.start(), m.group(0), rule.reason):
                        discounted.append(m.group(0))
                    else:
                        live.append((rule, m.group(0)))
            del start
        return live, discounted

    def _model_score(self, text: str) -> tuple[float, list[str]]:
        """The model's probability, and the words that weighed most for it when it is over the
        threshold (only then are they shown; working them out costs as much as the score)."""
        seed = _seed_model() if self.use_model else None
        if seed is None:
            return 0.0, []
        vec, clf, names = seed
        x = vec.transform([text])
        p = float(clf.predict_proba(x)[0, 1])
        if p < self.model_threshold:
            return p, []
        contrib = x.multiply(clf.coef_[0]).tocsr()
        order = np.argsort(-contrib.data)
        # Single characters explain nothing to the agent: only n-grams of two or more are shown.
        words = [str(names[contrib.indices[i]]) for i in order
                 if contrib.data[i] > 0 and len(str(names[contrib.indices[i]]).strip()) >= 2][:3]
        return p, words

    def check(self, text: str) -> SafetyFinding:
        text = normalize(text or "")
        if not text:
            return SafetyFinding("none")
        live, discounted = self._emergency_by_rules(text)
        if live:
            rule = live[0][0]
            triggers = list(dict.fromkeys(w for _, w in live))
            score = min(1.0, 0.85 + 0.05 * len(triggers))
            return SafetyFinding("emergency", rule.service, rule.reason, None, triggers, score,
                                 list(dict.fromkeys(discounted)))
        for rule in NOT_ACCEPTED_RULES:
            hits = [m.group(0) for m in rule.pattern.finditer(text)]
            if hits:
                return SafetyFinding("not_accepted", None, rule.reason, rule.referral,
                                     list(dict.fromkeys(hits)), 0.9, list(dict.fromkeys(discounted)))
        p, words = self._model_score(text)
        if p >= self.model_threshold and not discounted:
            # The model cannot tell which line; 110 dispatches the others (SH linkage).
            return SafetyFinding("emergency", "110", "danger", None, words, p)
        return SafetyFinding("none", score=round(p, 4), discounted=list(dict.fromkeys(discounted)))
