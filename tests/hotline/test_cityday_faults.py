"""A short busy day with faults (issue 13): the docker-compose layout as real processes — a
private PostgreSQL, a private Redis, two API processes, the RQ worker, cron, the 110 simulator —
under Locust's mix of real work, while an API process is SIGKILLed, PostgreSQL is crash-restarted
and the RQ worker is SIGKILLed, each at a random moment.

After each fault the system heals by itself (a hand-over registered after it reaches 110), and at
the end of the day the independent recomputation holds: every acknowledged command is stored
exactly once, statuses are the fold of their histories, deadlines are `sla`'s, the overdue list is
the recomputed one, and every 110 hand-over arrived exactly once.

No timed assertion: healing is waited on with generous timeouts (the heal times are printed; the
benchmark bench/cityday.py reports them). The full day is the benchmark, not this test.
"""

from __future__ import annotations

import pytest

from bench.cityday import run_day

pytestmark = [pytest.mark.slow, pytest.mark.exclusive]  # both cores for ~3 min: run alone


def test_a_short_day_with_three_faults_loses_and_doubles_nothing() -> None:
    result = run_day(requests=300, minutes=1.0, users=8, faults=["api", "postgres", "worker"],
                     seed=13, drain_timeout=300)
    print(result.markdown())
    assert [f.name for f in result.faults] and len(result.faults) == 3
    assert all(f.healed_s is not None for f in result.faults), result.faults
    for name in ("acknowledged exactly once", "status = fold of events", "deadlines = sla",
                 "overdue list = recomputation", "110 hand-overs exactly once", "healed",
                 "no 500 (503 while a fault lasts)"):
        assert result.problems[name] == [], (name, result.problems[name][:10])
    assert "drain" not in result.problems, result.problems["drain"]
    # Work really happened across the faults: tickets of both kinds, and the restarts it took.
    assert result.figures["answered at intake"] > 0 and result.figures["dispatched"] > 0
