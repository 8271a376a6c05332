"""Model registry: one directory per version, holding the model and its metadata.

Versions are named by UTC creation time (microseconds) so that lexical order is age order
and "newest" needs no index file that concurrent trainers could corrupt. A version is
written under a temporary name and renamed into place, so a reader never sees half a model.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import joblib

from classifier.model import TextClassifier

MODEL_FILE = "model.joblib"
META_FILE = "metadata.json"


class RegistryError(Exception):
    """Raised for anything a caller can fix: wrong path, missing or unknown version."""


def _library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "scipy", "jieba", "joblib"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def is_version_dir(path: Path) -> bool:
    return (path / MODEL_FILE).is_file() and (path / META_FILE).is_file()


def list_versions(root: Path) -> list[str]:
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and is_version_dir(p))


def save_model(model: TextClassifier, root: Path, metrics: dict[str, Any] | None = None) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    version = now.strftime("v%Y%m%dT%H%M%S_%fZ")
    while (root / version).exists():  # same microsecond: extremely unlikely, still handled
        now = datetime.now(UTC)
        version = now.strftime("v%Y%m%dT%H%M%S_%fZ")
    meta = dict(model.metadata)
    meta.update(
        {
            "version": version,
            "created_at": now.isoformat(),
            "labels": list(model.labels),
            "abstain_below": model.abstain_below,
            "library_versions": _library_versions(),
        }
    )
    if metrics is not None:
        meta["metrics"] = metrics
    meta.setdefault("metrics", {})
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, root / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    model.metadata = meta
    return root / version


def resolve(path: Path, version: str | None = None) -> Path:
    """A version dir is used as is; a registry root resolves to its newest (or pinned)."""
    path = Path(path)
    if version is None and is_version_dir(path):
        return path
    if not path.is_dir():
        raise RegistryError(f"model path not found: {path}")
    versions = list_versions(path)
    if version is not None:
        if version not in versions:
            raise RegistryError(f"version {version!r} not in registry {path} (have: {versions})")
        return path / version
    if not versions:
        raise RegistryError(f"no model version in {path}")
    return path / versions[-1]


def load_model(path: Path | str, version: str | None = None) -> TextClassifier:
    vdir = resolve(Path(path), version)
    meta = json.loads((vdir / META_FILE).read_text("utf-8"))
    model = joblib.load(vdir / MODEL_FILE)
    if not isinstance(model, TextClassifier):
        raise RegistryError(f"{vdir / MODEL_FILE} does not hold a TextClassifier")
    model.metadata = meta
    model.abstain_below = float(meta.get("abstain_below", model.abstain_below))
    return model
