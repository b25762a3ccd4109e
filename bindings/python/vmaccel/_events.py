"""Events from the manager's pull queue: a blocking iterator and an asyncio
one. Python never runs on the library's loop thread: it pops the queue
(vmaccel_event_next) with the GIL released, or waits on its pollable fd
with loop.add_reader."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import AsyncIterator, Iterator, Optional

from . import capi, vmaccel_pb2
from ._errors import Again, StateError, Timeout

# Longest single wait inside the library: between two waits Python handles
# signals (Ctrl-C) and Manager.close() gets its turn.
_SLICE_MS = 200


@dataclass(frozen=True)
class EventStats:
    emitted: int
    queue_dropped: int
    callback_dropped: int
    queue_length: int
    queue_capacity: int
    subscribers: int


class EventsMixin:
    """The event half of vmaccel.Manager (needs _call and _use)."""

    def next_event(self, timeout: Optional[float] = 0) -> Optional[vmaccel_pb2.Event]:
        """Pops the oldest queued event, waiting up to ``timeout`` seconds
        (0: do not wait; None: wait forever). None if nothing came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is None:
                ms = _SLICE_MS
            else:
                left = deadline - time.monotonic()
                ms = 0 if left <= 0 else max(1, min(_SLICE_MS, int(left * 1000)))
            try:
                data = self._call(capi.vmaccel_event_next, ms)
                return vmaccel_pb2.Event.FromString(data)
            except (Again, Timeout):
                if ms == 0 or (deadline is not None and time.monotonic() >= deadline):
                    return None

    def events(self, timeout: Optional[float] = None) -> Iterator[vmaccel_pb2.Event]:
        """Yields events as they arrive. Ends when no event came for
        ``timeout`` seconds (None: never) or when the manager is closed."""
        while True:
            try:
                ev = self.next_event(timeout)
            except StateError:
                return
            if ev is None:
                return
            yield ev

    async def aevents(self) -> AsyncIterator[vmaccel_pb2.Event]:
        """``async for event in manager.aevents()``: waits on the queue's fd
        with loop.add_reader, then drains it without blocking the loop.
        Ends when the manager is closed; cancel the task to stop earlier."""
        loop = asyncio.get_running_loop()
        fd = self.events_fd
        ready = asyncio.Event()
        loop.add_reader(fd, ready.set)
        try:
            while True:
                try:
                    ev = self.next_event(0)
                except StateError:
                    return
                if ev is not None:
                    yield ev
                    continue
                ready.clear()
                ev = self.next_event(0)  # an event may have come before clear()
                if ev is not None:
                    yield ev
                    continue
                await ready.wait()
        finally:
            loop.remove_reader(fd)  # also fine once close() closed the fd

    @property
    def events_fd(self) -> int:
        """The pull queue's pollable fd (owned by the manager: only poll it)."""
        return self._call(capi.vmaccel_events_fd)

    @property
    def event_stats(self) -> EventStats:
        s = self._call(capi.vmaccel_event_stats_get)
        return EventStats(s.emitted, s.queue_dropped, s.callback_dropped,
                          s.queue_length, s.queue_capacity, s.subscribers)
