"""Text preparation shared by training and prediction.

Training data arrives already word-segmented (tokens separated by spaces, stop words
removed) while agents type raw sentences. Both must end up as the same token stream,
otherwise a model trained on one silently degrades on the other. Everything that turns a
string into tokens lives here so that the two paths cannot drift apart.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import cache
from importlib import resources

import jieba

jieba.setLogLevel(logging.WARNING)

# Placeholders are ASCII words so jieba keeps them whole and they survive as single tokens.
# Masking protects callers' personal data (DOMAIN: "caller information is protected") and
# keeps the model from memorising individual numbers.
PHONE_TOKEN = "PHONENUM"
ID_TOKEN = "IDNUM"
PLATE_TOKEN = "PLATENUM"

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Resident ID: 18 digits (last may be X) or the old 15-digit form.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mobile (optionally +86), landline with area code, and the 400/800 service numbers.
_PHONE_RE = re.compile(
    r"(?<![0-9])(?:(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
    r"|0\d{2,3}[- ]?\d{7,8}"
    r"|[48]00[- ]?\d{3}[- ]?\d{4})(?![0-9])"
)
# Vehicle plates: province + letter + 5 (fuel) or 6 (new energy) characters, optional dot.
_PLATE_RE = re.compile(
    rf"[{_PROVINCES}][A-Z][·.\- ]?[A-Z0-9]{{4,5}}[A-Z0-9挂学警港澳](?![A-Za-z0-9])"
)
_WS_RE = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP_RE = re.compile(rf"[{_CJK}] +(?=[{_CJK}])")
_CJK_CHAR_RE = re.compile(rf"[{_CJK}]")
_KEEP_TOKEN_RE = re.compile(rf"[{_CJK}A-Za-z0-9]")

_jieba_lock = threading.Lock()


def to_halfwidth(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation typed by IMEs into ASCII."""
    return unicodedata.normalize("NFKC", text)


def mask_personal_data(text: str) -> str:
    """IDs first: an 18-digit ID number contains substrings that look like phone numbers."""
    text = _ID_RE.sub(f" {ID_TOKEN} ", text)
    text = _PHONE_RE.sub(f" {PHONE_TOKEN} ", text)
    text = _PLATE_RE.sub(f" {PLATE_TOKEN} ", text)
    return text


def normalize(text: str) -> str:
    """Width folding, personal-data masking and whitespace collapsing, in that order.

    Plates are matched after width folding so that a full-width "渝Ａ１２３４５" is caught.
    Letters are upper-cased only for plate matching; place codes such as "A3区" stay as-is.
    """
    text = to_halfwidth(text)
    text = mask_personal_data(text)
    return _WS_RE.sub(" ", text).strip()


def looks_segmented(text: str) -> bool:
    """Raw Chinese has almost no spaces between two CJK characters; segmented text has one
    between nearly every word. A quarter of CJK characters followed by a gap is far above
    anything an agent types by accident and far below any segmenter's output."""
    cjk = len(_CJK_CHAR_RE.findall(text))
    if cjk < 2:
        return False
    gaps = len(_CJK_GAP_RE.findall(text))
    return gaps >= max(1, 0.2 * cjk)


@cache
def stopwords() -> frozenset[str]:
    data = resources.files("classifier.data").joinpath("stopwords.txt").read_text("utf-8")
    return frozenset(w.strip() for w in data.splitlines() if w.strip() and not w.startswith("#"))


@cache
def _tokenizer() -> jieba.Tokenizer:
    """One tokenizer per process: jieba's dictionary load costs about a second (its own
    on-disk cache makes later processes faster), so it is done once and lazily."""
    tok = jieba.Tokenizer()
    tok.initialize()
    dict_path = resources.files("classifier.data").joinpath("domain_dict.txt")
    with resources.as_file(dict_path) as path:
        tok.load_userdict(str(path))
    for placeholder in (PHONE_TOKEN, ID_TOKEN, PLATE_TOKEN):
        tok.add_word(placeholder)
    return tok


def warm_up() -> None:
    _tokenizer()


def segment(text: str) -> list[str]:
    """jieba with the domain dictionary; HMM is off so unseen words are not glued into
    spurious multi-character tokens that the segmented training data never contains."""
    tok = _tokenizer()
    with _jieba_lock:
        return tok.lcut(text, HMM=False)


def _keep(token: str) -> bool:
    return bool(_KEEP_TOKEN_RE.search(token)) and token not in stopwords()


def tokenize(text: str) -> list[str]:
    """Raw text is segmented by jieba; already-segmented text keeps its own boundaries.
    Either way the same normalisation and stop-word filter apply, so the two forms of one
    message give (nearly) the same tokens."""
    text = normalize(text)
    pieces = text.split(" ") if looks_segmented(text) else segment(text)
    return [p.strip() for p in pieces if p.strip() and _keep(p.strip())]


def prepare(text: str) -> str:
    """The model's input form: tokens joined by single spaces."""
    return " ".join(tokenize(text))
