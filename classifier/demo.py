"""The demo city's default model, trained from the bundled synthetic corpus.

The product must run on a fresh machine without the shared real data, so `make run` trains
from `classifier/data/demo_corpus.csv` (written for the demo city 演示市, no real messages)
the first time and reuses the registry afterwards.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from classifier.io import read_table
from classifier.model import TrainConfig, train_model
from classifier.registry import list_versions, resolve, save_model

DEMO_TARGETS = {"category": "category", "request_type": "request_type", "unit": "unit"}


def demo_corpus_path() -> Path:
    return Path(str(resources.files("classifier.data").joinpath("demo_corpus.csv")))


def ensure_default_model(registry_dir: Path, target: str = "category") -> Path:
    """Train only when the registry holds no version, so restarts keep the operator's model.

    17 categories with ~25 messages each give low top-1 probabilities, hence the lower
    abstention threshold than the real 7-category model's default.
    """
    registry_dir = Path(registry_dir)
    if list_versions(registry_dir):
        return resolve(registry_dir)
    if target not in DEMO_TARGETS:
        raise ValueError(f"unknown demo target {target!r}; choose from {sorted(DEMO_TARGETS)}")
    texts, labels = read_table(demo_corpus_path(), ["text"], DEMO_TARGETS[target])
    model = train_model(texts, labels, TrainConfig(abstain_below=0.2))
    model.metadata["source"] = f"demo corpus ({target})"
    model.metadata["target"] = target
    return save_model(model, registry_dir)
