"""The runtime loop and the event pull queue through Python."""
import asyncio
import select
import time

import pytest

import vmaccel


def test_start_stop_are_idempotent(manager):
    assert not manager.is_running
    manager.start()
    manager.start()
    assert manager.is_running
    manager.stop()
    manager.stop()
    assert not manager.is_running


def test_empty_queue(manager):
    assert manager.next_event(0) is None
    t0 = time.monotonic()
    assert manager.next_event(0.05) is None
    assert time.monotonic() - t0 >= 0.04
    assert list(manager.events(timeout=0.02)) == []
    fd = manager.events_fd
    assert fd >= 0 and select.select([fd], [], [], 0)[0] == []
    st = manager.event_stats
    assert st.queue_length == 0 and st.queue_capacity > 0 and st.queue_dropped == 0


def test_blocking_iterator_ends_when_the_manager_closes(manager):
    import threading
    threading.Timer(0.1, manager.close).start()
    t0 = time.monotonic()
    assert list(manager.events()) == []
    assert time.monotonic() - t0 < 5


def test_async_iterator_waits_on_the_fd(manager):
    async def consume():
        async for ev in manager.aevents():
            return ev
        return None

    async def main():
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        assert not task.done()  # waiting on the fd, not spinning to an end
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
