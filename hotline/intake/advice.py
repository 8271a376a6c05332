"""Intake suggestions: the classifier reads the words, routing finds the place and the unit.

`hotline` composes the pure libraries here: the classifier's top-k categories and safety finding
become `routing`'s plain inputs, the unit directory is built from the units table, and the
gazetteer and catalogue come from settings (the catalogue from its newest admin edit, if any).
Safety always comes first (CQ §10): an emergency is flagged whatever the category says.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

import routing
from classifier import SafetyDetector, load_model
from classifier.registry import RegistryError
from hotline.core.settings import get_settings
from hotline.intake.models import CatalogueVersion
from hotline.units.models import Unit

log = logging.getLogger("hotline.intake")
ROUTING_DATA = Path(routing.__file__).resolve().parent / "data"


@lru_cache
def gazetteer() -> routing.Gazetteer:
    path = get_settings().gazetteer_file or ROUTING_DATA / "demo_gazetteer.csv"
    return routing.Gazetteer.from_csv(path)


@lru_cache
def _default_catalogue() -> routing.Catalogue:
    path = get_settings().catalogue_file or ROUTING_DATA / "demo_catalogue.csv"
    return routing.Catalogue.from_csv(path)


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


def directory(session: Session) -> routing.UnitDirectory:
    units = [routing.UnitInfo(u.id, u.code, u.name, u.kind, u.parent_id)  # type: ignore[arg-type]
             for u in session.exec(select(Unit).where(col(Unit.active)).order_by(col(Unit.path)))]
    return routing.UnitDirectory(routing.link_territories(units, gazetteer()))


@lru_cache
def safety_detector() -> SafetyDetector:
    return SafetyDetector()


@lru_cache
def category_model() -> Any | None:
    """The newest classifier version in the registry, or None (routing then falls back)."""
    root = get_settings().model_dir
    try:
        return load_model(root)
    except (RegistryError, FileNotFoundError, OSError) as exc:
        log.warning("no classifier model under %s (%s): suggestions without categories", root, exc)
        return None


def reload() -> None:
    for cached in (gazetteer, _default_catalogue, safety_detector, category_model):
        cached.cache_clear()
    _catalogue_cache.clear()


def safety_input(text: str) -> tuple[routing.SafetyInput, dict[str, Any]]:
    f = safety_detector().check(text)
    plain = routing.SafetyInput(kind=f.kind, service=f.service, reason_code=f.reason_code,
                                referral=f.referral, triggers=tuple(f.triggers))
    return plain, {"kind": f.kind, "service": f.service, "reason_code": f.reason_code,
                   "referral": f.referral, "triggers": list(f.triggers)}


def suggest(session: Session, text: str, address: str | None,
            request_type: str | None) -> dict[str, Any]:
    model = category_model()
    top: list[tuple[str, float]] = []
    if model is not None:
        prediction = model.predict(" ".join(filter(None, [text, address])), k=3)
        top = [(label, float(score)) for label, score in prediction.top]
    safety, safety_out = safety_input(text)
    result = routing.suggest(text, address, request_type, top, safety, gazetteer(),
                             catalogue(session), directory(session))
    out = result.to_dict()
    out["categories"] = [{"label": label, "score": round(score, 4)} for label, score in top]
    out["safety"] = safety_out
    out["model_version"] = (model.metadata.get("version") if model is not None else None)
    return out


def unit_ids_by_code(session: Session, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.exec(select(Unit.code, Unit.id).where(col(Unit.code).in_(codes))).all()
    return {code: uid for code, uid in rows}  # type: ignore[misc]
