"""Registry versions and the `python -m classifier` CLI, on small synthetic data."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier import load_model, save_model, train_model
from classifier.demo import ensure_default_model
from classifier.registry import RegistryError, list_versions
from tests.classifier.conftest import REPO, demo_rows


def _small(n_per_class: int = 8) -> tuple[list[str], list[str]]:
    rows = demo_rows()
    keep = {"环境保护/噪声污染", "劳动和社会保障/欠薪", "教育文体/招生入学"}
    seen: dict[str, int] = {}
    texts, labels = [], []
    for r in rows:
        if r["category"] in keep and seen.get(r["category"], 0) < n_per_class:
            seen[r["category"]] = seen.get(r["category"], 0) + 1
            texts.append(r["text"])
            labels.append(r["category"])
    return texts, labels


def test_two_versions_newest_and_pinned(tmp_path: Path) -> None:
    texts, labels = _small()
    v1 = save_model(train_model(texts, labels), tmp_path)
    time.sleep(0.01)
    rt = [r["request_type"] for r in demo_rows()[:60]]
    v2 = save_model(train_model([r["text"] for r in demo_rows()[:60]], rt), tmp_path)
    assert list_versions(tmp_path) == [v1.name, v2.name]
    newest = load_model(tmp_path)
    assert newest.metadata["version"] == v2.name
    pinned = load_model(tmp_path, version=v1.name)
    assert pinned.labels == sorted(set(labels))
    assert load_model(v1).metadata["version"] == v1.name
    meta = json.loads((v1 / "metadata.json").read_text("utf-8"))
    for key in ("labels", "data_hash", "metrics", "created_at", "library_versions", "version"):
        assert key in meta
    assert "scikit-learn" in meta["library_versions"]
    with pytest.raises(RegistryError):
        load_model(tmp_path, version="v-none")
    with pytest.raises(RegistryError):
        load_model(tmp_path / "missing")


def test_ensure_default_model_trains_once(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    v = ensure_default_model(tmp_path)
    assert time.perf_counter() - t0 < 15
    assert ensure_default_model(tmp_path) == v
    model = load_model(tmp_path)
    assert len(model.labels) == 17
    p = model.predict("楼下烧烤店每天晚上吵到凌晨两点，根本睡不着", k=3)
    assert p.label == "环境保护/噪声污染" and len(p.top) == 3


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "classifier", *args], input=stdin, capture_output=True,
        text=True, cwd=REPO, timeout=120,
    )


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    texts, labels = _small(10)
    with (d / "train.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "body", "label"])
        for t, lab in zip(texts, labels, strict=True):
            w.writerow([t[:6], t[6:], lab])
    return d


@pytest.fixture(scope="module")
def cli_registry(cli_data: Path) -> Path:
    """A registry trained through the CLI once per module (each xdist worker has its own)."""
    reg = cli_data / "trained"
    r = _run(["train", "--data", str(cli_data / "train.csv"), "--text-column", "subject",
              "--text-column", "body", "--label-column", "label", "--out", str(reg)])
    assert r.returncode == 0, r.stderr
    return reg


def test_cli_train_predict_evaluate(cli_data: Path) -> None:
    reg = cli_data / "registry"
    args = ["train", "--data", str(cli_data / "train.csv"), "--text-column", "subject",
            "--text-column", "body", "--label-column", "label", "--out", str(reg)]
    r = _run(args)
    assert r.returncode == 0, r.stderr
    assert len(list_versions(reg)) == 1
    lines = [
        {"text": "公司拖欠我三个月工资不发"},
        {"text": "工地夜里施工太吵了"},
        {"text": "孩子入学报名要带什么材料"},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    r = _run(["predict", "--model", str(reg)], stdin)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 3
    for o in out:
        assert set(o) >= {"label", "top"}
        assert o["label"] is None or o["label"] == o["top"][0][0]
        assert o.get("abstained", False) == (o["label"] is None)
    tops = [o["top"][0][0] for o in out]
    assert tops == ["劳动和社会保障/欠薪", "环境保护/噪声污染", "教育文体/招生入学"]
    r = _run(["evaluate", "--model", str(reg), "--data", str(cli_data / "train.csv"),
              "--text-column", "subject", "--text-column", "body", "--label-column", "label"])
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["macro_f1"] > 0.8 and "confusion_matrix" in result and "per_class" in result


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["train", "--data", "/nonexistent.csv", "--text-column", "a", "--label-column", "b",
          "--out", "/tmp/x"], "", "not found"),
        (["train", "--data", "{data}", "--text-column", "nope", "--label-column", "label",
          "--out", "{tmp}"], "", "nope"),
        (["predict", "--model", "/nonexistent-registry"], "", "not found"),
        (["predict", "--model", "{registry}"], "this is not json\n", "not JSON"),
    ],
)
def test_cli_bad_input_is_a_clear_error(cli_data: Path, cli_registry: Path, args: list[str],
                                        stdin: str, needle: str) -> None:
    args = [a.format(data=cli_data / "train.csv", tmp=cli_data, registry=cli_registry) for a in args]
    r = _run(args, stdin)
    assert r.returncode != 0
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
