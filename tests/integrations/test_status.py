"""Callbacks merged by rank: any order, any number of copies, the same final state."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from integrations import (
    Envelope,
    LinkState,
    LinkStatus,
    MessageKind,
    apply_feedback,
    merge_status,
    status_for,
)
from tests.integrations.conftest import T0

STATUSES = list(LinkStatus)


def _timeline(kinds: list[tuple[str, dict[str, str]]]) -> list[Envelope]:
    return [
        Envelope.new(kind, sender="110", correlation_id="J31011520250616000001",
                     payload={"ref": "20250616-000042", "seq": seq,
                              "occurred_at": T0 + seq * timedelta(minutes=3), **extra})
        for seq, (kind, extra) in enumerate(kinds, start=1)
    ]


POLICE = _timeline([
    ("accepted", {"peer_id": "J31011520250616000001"}), ("dispatched", {"unit": "派出所"}),
    ("on_site", {"unit": "派出所"}), ("result", {"result": "已调解"}), ("closed", {}),
])


def _fold(envelopes: list[Envelope]) -> LinkState:
    state = LinkState()
    for envelope in envelopes:
        state = apply_feedback(state, envelope)
    return state


def test_merge_never_goes_back() -> None:
    assert merge_status(None, LinkStatus.dispatched) is LinkStatus.dispatched
    assert merge_status(LinkStatus.on_site, LinkStatus.accepted) is LinkStatus.on_site
    assert merge_status(LinkStatus.accepted, LinkStatus.closed) is LinkStatus.closed
    assert merge_status(LinkStatus.closed, LinkStatus.rejected) is LinkStatus.rejected


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_merge_is_a_join(a: LinkStatus, b: LinkStatus, c: LinkStatus) -> None:
    assert merge_status(a, b) == merge_status(b, a)
    assert merge_status(merge_status(a, b), c) == merge_status(a, merge_status(b, c))
    assert merge_status(a, a) == a


def test_in_order_timeline() -> None:
    state = _fold(POLICE)
    assert state.status is LinkStatus.closed and state.is_final
    assert state.peer_id == "J31011520250616000001"
    assert state.milestones[LinkStatus.on_site] == T0 + timedelta(minutes=9)
    assert state.missing == []


@given(st.permutations(POLICE), st.lists(st.sampled_from(POLICE), max_size=10))
def test_shuffled_and_duplicated_callbacks_end_in_the_same_state(
    shuffled: list[Envelope], extra: list[Envelope]
) -> None:
    assert _fold(shuffled + extra) == _fold(POLICE)


@given(st.lists(st.sampled_from(POLICE), min_size=1))
def test_any_subset_ends_at_the_highest_status_received(received: list[Envelope]) -> None:
    state = _fold(received)
    assert state.status is max((status_for(e.kind) for e in received), key=STATUSES.index)
    assert set(state.missing) == set(range(1, max(state.seen) + 1)) - state.seen


def test_gap_is_reported_until_it_arrives() -> None:
    state = _fold([POLICE[0], POLICE[3]])
    assert state.status is LinkStatus.result and state.missing == [2, 3]


def test_rejected_wins_so_a_person_sees_the_matter_come_back() -> None:
    rejected = _timeline([("rejected", {"reason": "非警务事项"})])
    for order in itertools.permutations([*POLICE[:2], *rejected]):
        assert _fold(list(order)).status is LinkStatus.rejected


def test_transfers_are_not_feedback() -> None:
    from tests.integrations.conftest import transfer_envelope

    try:
        apply_feedback(LinkState(), transfer_envelope())
    except ValueError as exc:
        assert "not a feedback" in str(exc)
    else:
        raise AssertionError("expected ValueError")
    assert status_for(MessageKind.on_site) is LinkStatus.on_site
