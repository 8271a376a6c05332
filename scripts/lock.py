"""Write requirements.lock: every distribution `hotline[test]` needs, pinned to the version
installed in this virtualenv — the versions the suite last passed with.

`make run` and `make test` install with `pip install -c requirements.lock …`, so a fresh machine
resolves to exactly these versions (a constraints file: runtime installs take only the runtime
part of it). Refresh after changing pyproject.toml's dependencies and running the suite:

    .venv/bin/python scripts/lock.py            # write requirements.lock
    .venv/bin/python scripts/lock.py --check    # exit 1 if the lock and the venv disagree
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.lock"
ROOT = "hotline"
ROOT_EXTRAS = ("test",)


def closure() -> dict[str, str]:
    """{canonical name: installed version} of everything ROOT[ROOT_EXTRAS] pulls in."""
    found: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(ROOT, ROOT_EXTRAS)]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(name)
        if canonicalize_name(name) != ROOT:
            found[canonicalize_name(name)] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            wanted = [{**default_environment(), "extra": e} for e in ("", *extras)]
            if req.marker is not None and not any(req.marker.evaluate(env) for env in wanted):
                continue
            todo.append((req.name, tuple(sorted(req.extras))))
    return found


def render(pins: dict[str, str]) -> str:
    head = ("# Pinned by scripts/lock.py from the virtualenv the suite passed in (Python "
            f"{sys.version_info.major}.{sys.version_info.minor}, linux x86_64).\n"
            "# Used as a pip constraints file by `make run` and `make test`; do not edit by hand.\n")
    return head + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


def read(path: Path = LOCK) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def main() -> int:
    pins = closure()
    if "--check" in sys.argv:
        locked = read()
        drift = {n: (locked.get(n), v) for n, v in pins.items() if locked.get(n) != v}
        for name, (want, have) in sorted(drift.items()):
            print(f"{name}: lock {want}, installed {have}")
        return 1 if drift else 0
    LOCK.write_text(render(pins))
    print(f"wrote {LOCK.name}: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
