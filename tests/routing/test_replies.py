"""The weak-label extractor on hand-written reply snippets, and the evaluation on a real sample."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from routing.replies import extract_unit, normalize_unit

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HOTLINE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.mark.parametrize(("reply", "name", "method"), [
    ("网友您好！现将有关情况回复如下：已安排维修。感谢您的支持！ A7县教育局 2019年5月1日",
     "A7县教育局", "signature"),
    ("您好！经调查核实，已完成整改。特此回复。\u3000\u3000泉塘街道办事处\u3000\u30002018年3月2日",
     "泉塘街道办事处", "signature"),
    ("A市住房和城乡建设局关于网友反映小区问题的回复：经核查……", "A市住房和城乡建设局", "header"),
    ("网友：你好，你所反映的问题已转交至茅渡乡调查办复。", "茅渡乡人民政府", "forward"),
    ("您好！经A5区教育局调查核实，该校收费符合规定。", "A5区教育局", "investigation"),
    ("感谢您对我镇工作的关心。安沙镇已安排人员清理垃圾。", "安沙镇人民政府", "self"),
    ("您好！根据A市住房和城乡建设委员会的规定，维修资金……", "A市住房和城乡建设委员会", "mention"),
])
def test_extracts_the_answering_unit(reply: str, name: str, method: str) -> None:
    found = extract_unit(reply)
    assert found is not None and (found.name, found.method) == (name, method)


@pytest.mark.parametrize("reply", [
    "网友：您好！留言已收悉",
    "您好！您反映的问题已转相关部门进行处理，敬请关注后续回复，谢谢！",
    "您好！我单位已收到您的来信。",
])
def test_generic_replies_have_no_unit(reply: str) -> None:
    assert extract_unit(reply) is None


def test_normalisation() -> None:
    assert normalize_unit("县住建局", "A7县的小区") == "A7县住房和城乡建设局"
    assert normalize_unit("A7县安沙镇政府") == "安沙镇人民政府"
    assert normalize_unit("A7县城乡规划局") == "A7县城乡规划局"
    assert normalize_unit("泉塘街道") == "泉塘街道办事处"


@pytest.mark.skipif(not (SHARED / "wenzheng2020" / "replied.csv").exists(), reason="shared data absent")
def test_real_data_evaluation_on_a_sample() -> None:
    from routing.evaluation import evaluate
    report = evaluate(SHARED / "wenzheng2020" / "replied.csv", min_examples=3, limit=800)
    assert report.rows == 800 and 0.2 < report.coverage < 0.9
    assert report.top1 > report.baseline_top1 and report.top3 >= report.top1


def test_routing_imports_neither_hotline_nor_classifier() -> None:
    for path in (REPO / "routing").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in ("hotline", "classifier"), f"{path.name} imports {name}"
