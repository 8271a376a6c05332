"""Intake advice: the classifier reads the words, routing finds the place and the unit.

`hotline` composes the pure libraries here: the classifier's top-k categories and safety finding
become `routing`'s plain inputs, the unit directory is built from the units table, and the
gazetteer and catalogue come from settings (the catalogue from its newest admin edit, if any).
Safety always comes first (CQ §10): an emergency is flagged whatever the category says.

The answer is one typed ``Advice``: routing's ``Suggestion`` as it is, plus the units it names
resolved to this database's ids once, so the console, dispatch and the learning loop never map
codes to ids again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

import routing
from classifier import SafetyDetector, TextClassifier, load_model
from classifier.registry import RegistryError
from hotline.core.settings import get_settings
from hotline.intake.models import CatalogueVersion
from hotline.units.models import Unit
from vocabulary import not_accepted_label

log = logging.getLogger("hotline.intake")
ROUTING_DATA = Path(routing.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class CategoryScore:
    label: str
    score: float


@dataclass(frozen=True)
class AdvisedUnit:
    """A unit routing named, with this database's id."""

    id: int
    code: str
    name: str
    role: str  # lead / co / handler / candidate
    reason: str
    score: float


@dataclass(frozen=True)
class Advice:
    suggestion: routing.Suggestion
    safety: routing.SafetyInput
    categories: tuple[CategoryScore, ...]
    #: lead first, then co-units and the handler, then the other candidates; each unit once.
    units: tuple[AdvisedUnit, ...]
    #: routing's ranking of every unit it considered (the lead among them), as ids.
    ranked_ids: tuple[int, ...]
    model_version: str | None

    # The suggestion's own fields, for templates and callers.
    @property
    def decision(self) -> str:
        return self.suggestion.decision

    @property
    def reason(self) -> str:
        return self.suggestion.reason

    @property
    def emergency_service(self) -> str | None:
        return self.suggestion.emergency_service or self.safety.service

    @property
    def is_emergency(self) -> bool:
        return self.suggestion.decision == "emergency" or self.safety.kind == "emergency"

    @property
    def territory(self) -> routing.Territory:
        return self.suggestion.territory

    @property
    def referral(self) -> str | None:
        return self.suggestion.referral

    @property
    def kb_entry(self) -> routing.KBHit | None:
        return self.suggestion.kb_entry

    @property
    def notes(self) -> tuple[str, ...]:
        return self.suggestion.notes

    @property
    def lead_id(self) -> int | None:
        return next((u.id for u in self.units if u.role == "lead"), None)

    @property
    def co_ids(self) -> list[int]:
        return [u.id for u in self.units if u.role == "co"]

    @property
    def top_category(self) -> str | None:
        return self.categories[0].label if self.categories else None

    def to_dict(self) -> dict[str, Any]:
        """The API's answer: routing's suggestion, the model's categories, the safety finding."""
        out = self.suggestion.to_dict()
        out["categories"] = [{"label": c.label, "score": round(c.score, 4)} for c in self.categories]
        out["safety"] = {"kind": self.safety.kind, "service": self.safety.service,
                         "reason_code": self.safety.reason_code, "referral": self.safety.referral,
                         "triggers": list(self.safety.triggers)}
        if self.safety.kind == "not_accepted":
            out["not_accepted_reason"] = not_accepted_label(self.safety.reason_code)
        out["model_version"] = self.model_version
        out["units"] = [u.__dict__ for u in self.units]
        return out


@lru_cache
def gazetteer() -> routing.Gazetteer:
    path = get_settings().gazetteer_file or ROUTING_DATA / "demo_gazetteer.csv"
    return routing.Gazetteer.from_csv(path)


def catalogue_file() -> Path:
    return get_settings().catalogue_file or ROUTING_DATA / "demo_catalogue.csv"


@lru_cache
def _default_catalogue() -> routing.Catalogue:
    return routing.Catalogue.from_csv(catalogue_file())


_catalogue_cache: dict[int, routing.Catalogue] = {}


def catalogue(session: Session) -> routing.Catalogue:
    """The newest admin edit of the 派单目录, else the configured file."""
    latest = session.exec(select(CatalogueVersion.id).order_by(col(CatalogueVersion.id).desc())).first()
    if latest is None:
        return _default_catalogue()
    if latest not in _catalogue_cache:  # parse each version once; the id query is all we repeat
        content = session.exec(select(CatalogueVersion.content)
                               .where(CatalogueVersion.id == latest)).one()
        _catalogue_cache[latest] = routing.Catalogue.from_csv(content)
    return _catalogue_cache[latest]


UnitRow = tuple[int, str, str, str, int | None]


def _active_units(session: Session) -> tuple[UnitRow, ...]:
    """(id, code, name, kind, parent id) of every active unit: one light query per advice."""
    rows = session.execute(sa_select(col(Unit.id), col(Unit.code), col(Unit.name), col(Unit.kind),
                                     col(Unit.parent_id)).where(col(Unit.active))
                           .order_by(col(Unit.path))).all()
    return tuple((uid, code, name, str(kind), parent) for uid, code, name, kind, parent in rows)


@lru_cache(maxsize=8)
def _directory(rows: tuple[UnitRow, ...], places: routing.Gazetteer) -> routing.UnitDirectory:
    """Linking units to the gazetteer's places costs more than the query: done once per state of
    the units table (the rows themselves are the key, so an edit is seen at once)."""
    units = [routing.UnitInfo(uid, code, name, kind, parent) for uid, code, name, kind, parent in rows]
    return routing.UnitDirectory(routing.link_territories(units, places))


def directory(session: Session) -> routing.UnitDirectory:
    return _directory(_active_units(session), gazetteer())


@lru_cache
def safety_detector() -> SafetyDetector:
    return SafetyDetector()


@lru_cache
def category_model() -> TextClassifier | None:
    """The newest classifier version in the registry, or None (routing then falls back)."""
    root = get_settings().model_dir
    try:
        return load_model(root)
    except (RegistryError, FileNotFoundError, OSError) as exc:
        log.warning("no classifier model under %s (%s): suggestions without categories", root, exc)
        return None


def reload() -> None:
    for cached in (gazetteer, _default_catalogue, safety_detector, category_model, _directory,
                   safety_input, _categories):
        cached.cache_clear()
    _catalogue_cache.clear()


@lru_cache(maxsize=4096)
def safety_input(text: str) -> routing.SafetyInput:
    """The detector's verdict on a text. Cached: the console asks while the agent types, and the
    dispatch that follows asks again about the same words."""
    f = safety_detector().check(text)
    return routing.SafetyInput(kind=f.kind, service=f.service, reason_code=f.reason_code,
                               referral=f.referral, triggers=tuple(f.triggers))


@lru_cache(maxsize=4096)
def _categories(text: str) -> tuple[tuple[str, float], ...]:
    model = category_model()
    if model is None:
        return ()
    return tuple((label, float(score)) for label, score in model.predict(text, k=3).top)


def _resolve(ids: dict[str, int], suggestion: routing.Suggestion
             ) -> tuple[tuple[AdvisedUnit, ...], tuple[int, ...]]:
    """Routing names units by code; map every code to this database's id, once."""
    named = [*([suggestion.lead] if suggestion.lead else []), *suggestion.co_units,
             *([suggestion.handler] if suggestion.handler else []), *suggestion.candidates]
    out: dict[int, AdvisedUnit] = {}
    for u in named:
        uid = ids.get(u.code)
        if uid is not None and uid not in out:
            out[uid] = AdvisedUnit(uid, u.code, u.name, u.role, u.reason, u.score)
    ranked = tuple(ids[u.code] for u in suggestion.candidates if u.code in ids)
    return tuple(out.values()), ranked


def advise(session: Session, text: str, address: str | None, request_type: str | None) -> Advice:
    model = category_model()
    top = list(_categories(" ".join(filter(None, [text, address]))))
    safety = safety_input(text)
    rows = _active_units(session)
    suggestion = routing.suggest(text, address, request_type, top, safety, gazetteer(),
                                 catalogue(session), _directory(rows, gazetteer()))
    version = model.metadata.get("version") if model is not None else None
    units, ranked = _resolve({code: uid for uid, code, *_ in rows}, suggestion)
    return Advice(suggestion=suggestion, safety=safety,
                  categories=tuple(CategoryScore(label, score) for label, score in top),
                  units=units, ranked_ids=ranked,
                  model_version=str(version) if version is not None else None)
