"""The compiled inference path against the scikit-learn reference, on synthetic data
(runs without the shared data): multiclass, binary, and too-small-to-calibrate models."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import train_model
from classifier.compiled import char_wb_ngrams, word_ngrams
from classifier.text import prepare
from tests.classifier.conftest import demo_rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return demo_rows()


def _agree(model, texts: list[str]) -> None:
    docs = [prepare(t) for t in texts] + ["", "完全 没见过 的 词语"]
    fast = model.predict_proba_prepared(docs)
    ref = model.predict_proba_reference(docs)
    assert np.abs(fast - ref).max() < 1e-6
    single = np.vstack([model.predict_proba_prepared([d]) for d in docs])
    assert np.abs(single - ref).max() < 1e-6
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, atol=1e-9)


def test_multiclass_calibrated(rows: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in rows]
    model = train_model(texts, [r["category"] for r in rows])
    assert model.metadata["calibrated"]
    _agree(model, texts[:80])


def test_binary_and_uncalibrated(rows: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in rows[:40]]
    binary = ["环境" if "环境" in r["category"] else "其他" for r in rows[:40]]
    if len(set(binary)) < 2:
        binary = ["a" if i % 2 else "b" for i in range(len(texts))]
    _agree(train_model(texts, binary), texts)
    tiny = train_model(texts[:4], ["x", "y", "x", "z"])  # one example of y and z: no calibration
    assert not tiny.metadata["calibrated"]
    _agree(tiny, texts[:10])


def test_ngram_analyzers_match_scikit_learn() -> None:
    docs = ["市 西湖 建筑 集团 占 道 施工", "A3 区 PHONENUM 路口", "a", ""]
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False).build_analyzer()
    word = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                           ngram_range=(1, 2)).build_analyzer()
    for d in docs:
        assert char_wb_ngrams(d.split(), 1, 3) == char(d)
        assert word_ngrams(d.split(), 1, 2) == word(d)
