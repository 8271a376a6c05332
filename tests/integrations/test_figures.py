"""Joint linkage figures from plain records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations import LinkRecord, LinkStatus, linkage_figures, linkage_figures_by_peer
from integrations.figures import percentile
from tests.integrations.conftest import T0


def _rec(peer: str, direction: str, ack_s: float | None, status: str) -> dict[str, object]:
    return {
        "peer": peer, "direction": direction, "sent_at": T0, "status": status,
        "accepted_at": None if ack_s is None else T0 + timedelta(seconds=ack_s),
    }


RECORDS = [
    _rec("110", "out", 10, "closed"),
    _rec("110", "out", 20, "on_site"),
    _rec("110", "out", 30, "rejected"),
    _rec("110", "out", None, "sent"),
    _rec("110", "in", 40, "closed"),
    _rec("95598", "out", 300, "accepted"),
]


def test_counts_each_way_latency_and_loops() -> None:
    f = linkage_figures(RECORDS)
    assert (f.transfers_out, f.transfers_in, f.acknowledged) == (5, 1, 5)
    assert f.ack_latency_p50 == timedelta(seconds=30)
    assert f.ack_latency_p90 == timedelta(seconds=300)
    assert (f.loops_closed, f.rejected, f.loops_open) == (3, 1, 3)
    assert f.closed_rate == pytest.approx(0.5)


def test_by_peer() -> None:
    by_peer = linkage_figures_by_peer(RECORDS)
    assert list(by_peer) == ["110", "95598"]
    assert by_peer["110"].ack_latency_p50 == timedelta(seconds=20)
    assert by_peer["95598"].loops_closed == 0


def test_empty_and_dataclass_records() -> None:
    f = linkage_figures([])
    assert f.ack_latency_p50 is None and f.closed_rate is None and f.transfers_out == 0
    rec = LinkRecord(peer="120", direction="in", sent_at=T0, status=LinkStatus.closed,
                     accepted_at=T0 - timedelta(seconds=5))  # peer clock ahead: not a latency
    g = linkage_figures([rec])
    assert g.acknowledged == 1 and g.ack_latency_p50 is None and g.loops_closed == 1


def test_percentile_is_nearest_rank() -> None:
    values = [timedelta(seconds=s) for s in (5, 1, 4, 2, 3)]
    assert percentile(values, 50) == timedelta(seconds=3)
    assert percentile(values, 90) == timedelta(seconds=5)
    assert percentile(values, 100) == timedelta(seconds=5)
    with pytest.raises(ValueError):
        percentile(values, 0)
