"""Replay against the real wenzheng2020 export (skipped when the shared data is absent)."""

from __future__ import annotations

import pytest

from sla import Calendar
from sla.replay import buckets, replay_file
from tests.sla.conftest import shared_data


@pytest.fixture(scope="module")
def replied() -> str:
    return str(shared_data("wenzheng2020/replied.csv"))


def test_replay_real_data(cal: Calendar, replied: str) -> None:
    r15 = replay_file(replied, cal, 15)
    r5 = replay_file(replied, cal, 5)
    assert r15.rows == r5.rows == 2816
    # one reply time has no time of day ("2018/4/24"): counted, not guessed
    assert len(r15.unparsed) == 1 and "2018/4/24" in r15.unparsed[0][1]
    assert r15.measured + len(r15.unparsed) + len(r15.reply_before_post) == r15.rows
    assert r15.provisional == 0  # 2011–2020 are all in the statutory table
    assert r5.within <= r15.within <= r15.measured
    assert r15.within == sum(c for k, c in r15.taken.items() if k <= 15)
    assert r15.taken == r5.taken


def test_buckets_cover_every_count() -> None:
    labels = [b[0] for b in buckets(15)]
    assert labels[:3] == ["0", "1", "2"] and labels[-3:] == ["16–30", "31–60", ">60"]
    assert [b[0] for b in buckets(40)][-2:] == ["41–60", ">60"]
