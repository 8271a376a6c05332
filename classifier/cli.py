"""`python -m classifier`: train, predict, evaluate, ensure-demo.

Errors a user can fix (bad path, unknown column, malformed JSON line) end with one line on
stderr and exit code 2; nothing prints a traceback at them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from classifier.io import DataError, read_table
from classifier.model import DEFAULT_ABSTAIN_BELOW, TrainConfig, train_model
from classifier.registry import RegistryError, load_model, save_model


class UsageError(Exception):
    pass


def _cmd_train(args: argparse.Namespace) -> int:
    from classifier.evaluate import cross_validate

    texts, labels = read_table(args.data, args.text_column, args.label_column)
    if len(set(labels)) < 2:
        raise UsageError(f"column {args.label_column!r} has fewer than two distinct labels")
    cfg = TrainConfig(abstain_below=args.abstain_below)
    metrics = {}
    if args.cv:
        metrics["cross_validation"] = cross_validate(texts, labels, args.cv, cfg)
    t0 = time.perf_counter()
    model = train_model(texts, labels, cfg)
    model.metadata["train_seconds"] = round(time.perf_counter() - t0, 2)
    model.metadata["source"] = str(args.data)
    model.metadata["target"] = args.label_column
    model.metadata["text_columns"] = list(args.text_column)
    vdir = save_model(model, Path(args.out), metrics)
    print(json.dumps({"version_dir": str(vdir), "labels": model.labels, "n": len(texts)},
                     ensure_ascii=False))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.version)
    if args.abstain_below is not None:
        model.abstain_below = args.abstain_below
    batch: list[str] = []

    def flush() -> None:
        for p in model.predict_many(batch, k=args.k):
            sys.stdout.write(json.dumps(p.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        batch.clear()

    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            flush()
            raise UsageError(f"stdin line {lineno}: not JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            flush()
            raise UsageError(f'stdin line {lineno}: expected an object {{"text": "..."}}')
        batch.append(obj["text"])
        if len(batch) >= 256:
            flush()
    flush()
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from classifier.evaluate import evaluate_model

    model = load_model(args.model, args.version)
    texts, labels = read_table(args.data, args.text_column, args.label_column)
    result = evaluate_model(model, texts, labels)
    result["model_version"] = model.metadata.get("version")
    print(json.dumps(result, ensure_ascii=False, indent=None if args.compact else 2))
    return 0


def _cmd_ensure_demo(args: argparse.Namespace) -> int:
    from classifier.demo import ensure_default_model

    vdir = ensure_default_model(Path(args.out), args.target)
    print(str(vdir))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and write a new registry version")
    t.add_argument("--data", required=True, type=Path, help="CSV or XLSX file")
    t.add_argument("--text-column", required=True, action="append", help="repeatable; joined")
    t.add_argument("--label-column", required=True)
    t.add_argument("--out", required=True, type=Path, help="registry root")
    t.add_argument("--cv", type=int, default=0, help="also run k-fold CV into the metadata")
    t.add_argument("--abstain-below", type=float, default=DEFAULT_ABSTAIN_BELOW)
    t.set_defaults(func=_cmd_train)

    pr = sub.add_parser("predict", help='JSON lines {"text": ...} on stdin → predictions')
    pr.add_argument("--model", required=True, type=Path, help="registry root or version dir")
    pr.add_argument("--version", default=None, help="pin a version of the registry")
    pr.add_argument("-k", type=int, default=3)
    pr.add_argument("--abstain-below", type=float, default=None)
    pr.set_defaults(func=_cmd_predict)

    e = sub.add_parser("evaluate", help="metrics of a model on a labelled file")
    e.add_argument("--model", required=True, type=Path)
    e.add_argument("--version", default=None)
    e.add_argument("--data", required=True, type=Path)
    e.add_argument("--text-column", required=True, action="append")
    e.add_argument("--label-column", required=True)
    e.add_argument("--compact", action="store_true")
    e.set_defaults(func=_cmd_evaluate)

    d = sub.add_parser("ensure-demo", help="train the demo model if the registry is empty")
    d.add_argument("--out", required=True, type=Path)
    d.add_argument("--target", default="category", choices=["category", "request_type", "unit"])
    d.set_defaults(func=_cmd_ensure_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "cv", 0) and args.cv < 2:
        print("error: --cv needs at least 2 folds", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except (DataError, RegistryError, UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
