#!/usr/bin/env python3
"""Event delivery latency to Python: from an event's emission (its
timestamp_ns, CLOCK_MONOTONIC, stamped by the library) to the moment Python
code holds the decoded vmaccel.v1.Event, through
  - the blocking iterator (Manager.events) on a consumer thread, and
  - asyncio (Manager.aevents: loop.add_reader on the queue's fd).
Events come from registering an in-process VM (VM_ATTACHED), 1 ms apart,
like bench/bench_event_latency.c does for C.

    BUILD/python-venv/bin/python bench/bindings/event_latency.py [events]
"""
import asyncio
import sys
import threading
import time

import vmaccel


def summary(name, ns):
    ns = sorted(ns)
    p = lambda q: ns[min(len(ns) - 1, int(len(ns) * q))] / 1e3
    print(f"{name:28} n={len(ns)}  p50 {p(0.5):7.1f} us  p99 {p(0.99):7.1f} us"
          f"  max {ns[-1] / 1e3:7.1f} us")


def produce(m, n, tid):
    for _ in range(n):
        m.register([tid]).detach()
        time.sleep(0.001)


def blocking(m, n, tid):
    lat = []

    def consume():
        for ev in m.events(timeout=5):
            lat.append(time.monotonic_ns() - ev.timestamp_ns)
            if len(lat) == n:
                return

    t = threading.Thread(target=consume)
    t.start()
    produce(m, n, tid)
    t.join()
    return lat


def with_asyncio(m, n, tid):
    lat = []

    async def main():
        async def consume():
            async for ev in m.aevents():
                lat.append(time.monotonic_ns() - ev.timestamp_ns)
                if len(lat) == n:
                    return
        task = asyncio.create_task(consume())
        # The producer runs on a thread so the event loop only consumes.
        await asyncio.to_thread(produce, m, n, tid)
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    return lat


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    tid = threading.get_native_id()
    with vmaccel.Manager() as m:
        summary("Python blocking iterator", blocking(m, n, tid))
        while m.next_event(0):
            pass
        summary("Python asyncio (add_reader)", with_asyncio(m, n, tid))


if __name__ == "__main__":
    main()
