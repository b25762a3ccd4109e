#!/usr/bin/env python3
"""Event delivery latency to Python: from an event's emission (its
timestamp_ns, CLOCK_MONOTONIC, stamped by the library) to the moment Python
code holds the decoded vmaccel.v1.Event, through
  - the blocking iterator (Manager.events) on a consumer thread, and
  - asyncio (Manager.aevents: loop.add_reader on the queue's fd).

--rebalance (the issue's measure): the events are real rebalance decisions
(REBALANCE_PLANNED), made by the NUMA engine on its loop every 2 ms for an
in-process VM that is 0% local - a vCPU thread parked on CPU 1 and 4 MiB of
guest RAM from Manager.numa_alloc on node 0, on the synthetic topology
"pack:1 numa:2 core:1 pu:1" (CPU 0 is node 0, CPU 1 node 1), dry run, so
the policy plans the same fix again after each backoff. The same scenario
as bench/bindings/rebalance_latency.c and BenchmarkRebalanceLatency (Go).
Needs CPUs 0 and 1.

--attach: VM_ATTACHED events from registering an in-process VM, 1 ms apart
(emitted on the calling thread), like bench/bench_event_latency.c.

    BUILD/python-venv/bin/python bench/bindings/event_latency.py [--rebalance|--attach] [events]
"""
import asyncio
import os
import sys
import threading
import time

import vmaccel

PLANNED = vmaccel.pb.EVENT_TYPE_REBALANCE_PLANNED


def summary(name, ns):
    ns = sorted(ns)
    p = lambda q: ns[min(len(ns) - 1, int(len(ns) * q))] / 1e3
    print(f"{name:32} n={len(ns)}  p50 {p(0.5):7.1f} us  p99 {p(0.99):7.1f} us"
          f"  max {ns[-1] / 1e3:7.1f} us", flush=True)


# ---- the consumers: they count the events `wanted` says are the measure ----

def blocking(m, n, wanted, produce=None):
    lat = []

    def consume():
        for ev in m.events(timeout=30):
            if wanted(ev):
                lat.append(time.monotonic_ns() - ev.timestamp_ns)
                if len(lat) == n:
                    return

    t = threading.Thread(target=consume)
    t.start()
    if produce:
        produce()
    t.join()
    return lat


def with_asyncio(m, n, wanted, produce=None):
    lat = []

    async def main():
        async def consume():
            async for ev in m.aevents():
                if wanted(ev):
                    lat.append(time.monotonic_ns() - ev.timestamp_ns)
                    if len(lat) == n:
                        return
        task = asyncio.create_task(consume())
        if produce:  # on a thread, so the event loop only consumes
            await asyncio.to_thread(produce)
        await asyncio.wait_for(task, max(60, n * 0.1))

    asyncio.run(main())
    return lat


# ---- rebalance decisions ----

class ParkedVcpu:
    """A thread parked on CPU 1: the in-process VM's one vCPU."""

    def __init__(self):
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.tid = None
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self._ready.wait()

    def _run(self):
        os.sched_setaffinity(0, {1})
        self.tid = threading.get_native_id()
        self._ready.set()
        self._stop.wait()

    def close(self):
        self._stop.set()
        self._t.join()


def rebalance_manager(vcpu):
    """A manager whose engine keeps planning a fix for the VM once started."""
    m = vmaccel.Manager(synthetic="pack:1 numa:2 core:1 pu:1")
    m.enable_numa(2)
    m.configure_numa(interval_ms=2, trigger_samples=1, cooldown_samples=1, dry_run=True)
    ram = m.numa_alloc(4 << 20, vmaccel.AllocPolicy.ONNODE, 0)
    ram.view[:] = b"\1" * len(ram)
    m.register([vcpu.tid], name="bench-vm", memory=[ram.region])
    return m, ram


def rebalance(n):
    vcpu = ParkedVcpu()
    try:
        for name, consumer in (("Python blocking iterator", blocking),
                               ("Python asyncio (add_reader)", with_asyncio)):
            m, ram = rebalance_manager(vcpu)
            with m:
                m.start()
                summary(name, consumer(m, n, lambda ev: ev.type == PLANNED))
            ram.close()
    finally:
        vcpu.close()


# ---- VM_ATTACHED from another thread ----

def attach(n):
    tid = threading.get_native_id()

    def produce(m):
        for _ in range(n):
            m.register([tid]).detach()
            time.sleep(0.001)

    attached = lambda ev: ev.type == vmaccel.pb.EVENT_TYPE_VM_ATTACHED
    with vmaccel.Manager() as m:
        summary("Python blocking iterator", blocking(m, n, attached, lambda: produce(m)))
        while m.next_event(0):
            pass
        summary("Python asyncio (add_reader)", with_asyncio(m, n, attached, lambda: produce(m)))


def main():
    args = sys.argv[1:]
    mode = "--rebalance"
    if args and args[0] in ("--rebalance", "--attach"):
        mode = args.pop(0)
    n = int(args[0]) if args else 2000
    (rebalance if mode == "--rebalance" else attach)(n)


if __name__ == "__main__":
    main()
