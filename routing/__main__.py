"""`python -m routing evaluate-replied --data PATH`: the real-data evaluation (see routing.evaluation)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate-replied", help="predict the answering unit of wenzheng2020/replied.csv")
    ev.add_argument("--data", type=Path, required=True, help="replied.csv or the folder holding it")
    ev.add_argument("--min-examples", type=int, default=5, help="keep units with at least N messages")
    ev.add_argument("--test-size", type=float, default=0.2)
    ev.add_argument("--seed", type=int, default=20)
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    from routing.evaluation import evaluate

    path = args.data / "replied.csv" if args.data.is_dir() else args.data
    if not path.exists():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    report = evaluate(path, min_examples=args.min_examples, test_size=args.test_size, seed=args.seed)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
