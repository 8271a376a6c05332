"""Hook points: a module that owns an event sends it; the features that care connect to it.

This is how the workflow core tells the 110 bridge, supervision and caller messaging that an
action happened without importing them (the Amsterdam Signals project's ``update_status``
receivers, Django's signals). Receivers are connected once, at start-up, by
``hotline.wiring.install()``; a process that forgot to install them would silently skip the
outbox rows and notifications, so senders that must not run without their receivers call
``require_installed()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_installed = False


class NotInstalledError(RuntimeError):
    """A command ran before ``hotline.wiring.install()`` connected the receivers."""


def mark_installed() -> None:
    global _installed
    _installed = True


def require_installed() -> None:
    if not _installed:
        raise NotInstalledError(
            "hotline.wiring.install() has not run in this process: the receivers of the "
            "workflow (110 bridge, supervision, caller messages) would be skipped")


class Signal(Generic[T]):
    """A named hook point: ``send`` calls each receiver in the order connected. A receiver's
    exception propagates to the sender, so a receiver that writes in the sender's transaction
    fails the command with it (nothing half-written)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[[T], None]] = []

    def connect(self, receiver: Callable[[T], None]) -> Callable[[T], None]:
        """Connect a receiver (once: connecting it again changes nothing)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[[T], None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    @property
    def receivers(self) -> tuple[Callable[[T], None], ...]:
        return tuple(self._receivers)

    def send(self, message: T) -> None:
        for receiver in list(self._receivers):
            receiver(message)

    def __repr__(self) -> str:
        return f"Signal({self.name!r}, {len(self._receivers)} receivers)"
