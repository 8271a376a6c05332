"""`suggest`: the intake decision and the units to dispatch to, with readable reasons.

Order of the decision follows the operating measures: an emergency always comes first (CQ §10:
life and property go to 110/119/120/122 at once), then matters the hotline does not accept
(CQ §9), then matters located in another city, then a direct answer from the knowledge base
(CQ §12(一)), and only then a work order by territory and matter (属地、属事, CQ §12(二)).

Unit scores combine the classifier's category probability, the catalogue rule and how sure we
are of the territory: a rule that sends the matter to "the street office of the place" is only as
good as the place, while a rule naming a city department does not depend on it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from routing.catalogue import Catalogue, Rule
from routing.gazetteer import Gazetteer
from routing.inputs import NO_SAFETY_FINDING, KBHit, KBHook, SafetyInput
from routing.suggestion import Suggestion, UnitSuggestion
from routing.targets import LABELS, TERRITORIAL, resolve, resolve_one
from routing.territory import Territory, TerritoryResolver
from routing.units import UnitDirectory, UnitInfo
from vocabulary import NOT_ACCEPTED_LABELS, not_accepted_label

#: CQ §9 reasons in Chinese, from the one shared vocabulary (``vocabulary``).
NOT_ACCEPTED_REASONS = NOT_ACCEPTED_LABELS


@dataclass(frozen=True)
class Options:
    """Thresholds; the defaults are set on the demo city and are meant to be tuned."""

    kb_threshold: float = 0.8          # KB confidence needed to suggest a direct answer
    kb_request_types: frozenset[str] = frozenset({"咨询", "求助", ""})  # complaints need a unit to act
    clear_category: float = 0.35       # below this nobody is "clearly responsible" (CQ §12(二)2)
    co_category: float = 0.25          # a second category this likely brings in its unit as co-unit
    fallback_factor: float = 0.5       # a fallback unit is a weaker suggestion than a catalogue one
    max_candidates: int = 5


DEFAULT_OPTIONS = Options()
KIND_LABELS = {"city_dept": "市级部门", "handler": "市级部门处室", "district_gov": "区政府",
               "district_dept": "区级部门", "street": "街道办事处", "community": "社区",
               "hotline": "热线中心"}
_RESOLVERS: weakref.WeakKeyDictionary[Gazetteer, TerritoryResolver] = weakref.WeakKeyDictionary()


def resolver_for(gazetteer: Gazetteer) -> TerritoryResolver:
    """One resolver (and its automata) per gazetteer, built on first use."""
    found = _RESOLVERS.get(gazetteer)
    if found is None:
        found = _RESOLVERS[gazetteer] = TerritoryResolver(gazetteer)
    return found


@dataclass(frozen=True)
class _Pick:
    """A unit chosen for one category: by a catalogue rule, or as a fallback."""

    unit: UnitInfo
    category: str
    probability: float
    score: float
    rule: Rule | None
    target: str | None
    why: str          # "街道办事处" / "区政府（无明确责任单位）" …


def _fallback(territory: Territory, directory: UnitDirectory) -> tuple[UnitInfo | None, str]:
    """CQ §12(二)2: the district government when the place is known, else the city coordinator."""
    if territory.district and not territory.cross_district:
        gov = directory.for_territory("district_gov", territory.district)
        if gov is not None:
            return gov, "区政府（无明确责任单位，由区政府统筹）"
    return directory.coordinator(), "热线中心统筹（属地与责任均不明确）"


def _pick(category: str, p: float, request_type: str | None, territory: Territory, catalogue: Catalogue,
          directory: UnitDirectory, opts: Options) -> _Pick | None:
    rule = catalogue.match(category, request_type, territory.catalogue_level)
    found = resolve(rule.targets, territory, directory) if rule else None
    if rule is not None and found is not None:
        target, unit = found
        factor = territory.confidence if target.kind in TERRITORIAL else 1.0
        why = LABELS[target.kind]
        if target.kind == "unit":
            why = KIND_LABELS.get(unit.kind, why)
        return _Pick(unit, category, p, p * factor, rule, str(target), why)
    fallback, why = _fallback(territory, directory)
    if fallback is None:
        return None
    unit = fallback
    factor = territory.confidence if unit.kind == "district_gov" else 1.0
    return _Pick(unit, category, p, p * factor * opts.fallback_factor, None, None, why)


def _place(territory: Territory) -> str:
    if territory.out_of_city:
        return f"本市以外（{'、'.join(territory.foreign)}）"
    return territory.label or "未识别"


def _reason(territory: Territory, pick: _Pick, extra: str = "") -> str:
    return (f"地址：{_place(territory)}；类别：{pick.category}（{pick.probability:.0%}） → "
            f"{pick.why}（{pick.unit.name}）{extra}")


def _as(unit: UnitInfo, score: float, role: str, reason: str, pick: _Pick | None = None) -> UnitSuggestion:
    return UnitSuggestion(unit.code, unit.name, unit.kind, round(min(score, 1.0), 4), role,  # type: ignore[arg-type]
                          reason, pick.category if pick else None,
                          pick.rule.line if pick and pick.rule else None, pick.target if pick else None)


def suggest(
    text: str,
    address: str | None,
    request_type: str | None,
    top_k_categories: Sequence[tuple[str, float]],
    safety: SafetyInput | None,
    gazetteer: Gazetteer,
    catalogue: Catalogue,
    directory: UnitDirectory,
    kb_hook: KBHook | None = None,
    *,
    options: Options = DEFAULT_OPTIONS,
) -> Suggestion:
    """Suggest how to handle one call. Pure: the same inputs give the same suggestion."""
    safety = safety or NO_SAFETY_FINDING
    territory = resolver_for(gazetteer).resolve(text, address)
    categories = sorted(((c, float(p)) for c, p in top_k_categories if p > 0), key=lambda cp: -cp[1])
    picks = [pk for c, p in categories
             if (pk := _pick(c, p, request_type, territory, catalogue, directory, options)) is not None]
    notes = list(territory.conflicts)

    # ---- lead, co-units, handler ------------------------------------------------------
    lead: UnitSuggestion | None = None
    co: list[UnitSuggestion] = []
    handler: UnitSuggestion | None = None
    top = picks[0] if picks else None
    if territory.cross_district:
        # CQ §12(二)2: a cross-district matter goes to a city-level unit (or the hotline decides),
        # with the district governments of every district involved as co-units.
        coordinator = directory.coordinator()
        if top is not None and top.rule is not None and directory.city_level(top.unit):
            lead = _as(top.unit, top.score, "lead", _reason(territory, top, "；跨区事项由市级部门牵头"), top)
        elif coordinator is not None:
            lead = _as(coordinator, top.probability if top else 0.0, "lead",
                       f"地址：{territory.label}（跨区）；类别：{top.category if top else '未识别'} → "
                       f"热线中心指定牵头单位（{coordinator.name}）", top)
        for d in territory.districts:
            gov = directory.for_territory("district_gov", d)
            if gov is not None and (lead is None or gov.code != lead.code):
                co.append(_as(gov, territory.confidence, "co", f"跨区事项：{gov.name}协同办理"))
    elif top is not None:
        if top.probability < options.clear_category and top.rule is not None:
            unit, why = _fallback(territory, directory)
            if unit is not None:
                weak = _Pick(unit, top.category, top.probability, top.score, None, None, why)
                lead = _as(unit, top.score, "lead", _reason(territory, weak, "；类别不明确"), weak)
                notes.append(f"类别置信度低（{top.probability:.0%}），按属地兜底")
        if lead is None:
            lead = _as(top.unit, top.score, "lead", _reason(territory, top), top)
        if top.rule is not None and lead.code == top.unit.code:
            for t in top.rule.co_targets:
                unit = resolve_one(t, territory, directory)
                if unit is not None and unit.code != lead.code:
                    why = f"目录第{top.rule.line}行：{unit.name}协同办理"
                    co.append(_as(unit, top.score, "co", why, top))
            found = resolve(top.rule.handler, territory, directory) if top.rule.handler else None
            if found is not None and found[1].code != lead.code:
                handler = _as(found[1], top.score, "handler",
                              f"具体承办：{found[1].name}（目录第{top.rule.line}行）", top)
        # A cross-department matter: a second likely category owned by another unit is a co-unit.
        for second in picks[1:2]:
            if (second.probability >= options.co_category and second.rule is not None
                    and second.unit.code != lead.code and all(c.code != second.unit.code for c in co)):
                co.append(_as(second.unit, second.score, "co",
                              _reason(territory, second, "；跨部门事项，协同办理"), second))
    else:
        unit, why = _fallback(territory, directory)
        if unit is not None:
            lead = _as(unit, 0.0, "lead", f"地址：{_place(territory)}；类别：未识别 → {why}（{unit.name}）")

    # ---- ranked candidates ------------------------------------------------------------
    totals: dict[str, tuple[float, _Pick]] = {}
    for pk in picks:
        score, first = totals.get(pk.unit.code, (0.0, pk))
        totals[pk.unit.code] = (score + pk.score, first)
    ranked = sorted(totals.values(), key=lambda sp: -sp[0])[: options.max_candidates]
    candidates = tuple(_as(pk.unit, s, "candidate", _reason(territory, pk), pk) for s, pk in ranked)

    common = {"territory": territory, "lead": lead, "co_units": tuple(co), "handler": handler,
              "candidates": candidates, "notes": tuple(notes)}

    # ---- the decision -----------------------------------------------------------------
    if safety.kind == "emergency":
        service = safety.service or "110"
        triggers = f"（{'、'.join(safety.triggers)}）" if safety.triggers else ""
        if safety.reason_code == "police":
            # SH 二(一)2: a matter in 110's remit (crime, a missing child, police conduct) is
            # transferred to 110 at once, not dispatched.
            return Suggestion("emergency",
                              f"属110受理范围{triggers}：转110处置（SH 二(一)2），并报告热线主管",
                              emergency_service=service, **common)  # type: ignore[arg-type]
        return Suggestion("emergency",
                          f"涉及生命财产安全{triggers}：立即转{service}，并报告热线主管（CQ §10）",
                          emergency_service=service, **common)  # type: ignore[arg-type]
    if safety.kind == "not_accepted":
        why = not_accepted_label(safety.reason_code)
        referral = f"；告知来电人可向{safety.referral}反映" if safety.referral else ""
        return Suggestion("not_accepted", f"不予受理：{why}（CQ §9）{referral}",
                          not_accepted_reason_code=safety.reason_code, referral=safety.referral,
                          **common)  # type: ignore[arg-type]
    if territory.out_of_city:
        where = "、".join(territory.foreign)
        return Suggestion("transfer", f"事发地在本市以外（{where}）：转当地12345热线或经国家平台转办",
                          transfer_target=f"{where}12345热线", **common)  # type: ignore[arg-type]
    hit = _kb(kb_hook, text, categories, request_type, options)
    if hit is not None:
        return Suggestion("answer_directly",
                          f"知识库可直接解答：{hit.title}（置信度{hit.confidence:.0%}，CQ §12(一)）",
                          kb_entry=hit, **common)  # type: ignore[arg-type]
    return Suggestion("dispatch", lead.reason if lead else "无可派单位：请热线中心指定",
                      **common)  # type: ignore[arg-type]


def _kb(hook: KBHook | None, text: str, categories: list[tuple[str, float]], request_type: str | None,
        opts: Options) -> KBHit | None:
    if hook is None or (request_type or "") not in opts.kb_request_types:
        return None
    hit = hook(text, categories[0][0] if categories else None)
    return hit if hit is not None and hit.confidence >= opts.kb_threshold else None
