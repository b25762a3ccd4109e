#!/usr/bin/env python3
"""Pin a running VMM's vCPUs (QEMU, cloud-hypervisor, Firecracker, crosvm)
and print the manager's events as they happen.

    python3 examples/python/pin_and_watch.py PID [--strategy local-first] [--seconds N]

The heart of it is ten lines:

    with vmaccel.Manager() as m:
        vm = m.attach(pid)
        vm.pin(vmaccel.parse_strategy(strategy))
        for v in vm.vcpus:
            print(f"vCPU {v.index} (tid {v.tid}) -> CPU {v.planned_cpu}, node {v.planned_node}")
        m.setup_full()
        m.start()
        for event in m.events():
            print(vmaccel.pb.EventType.Name(event.type), event.message)
"""
import argparse
import time

import vmaccel


def main() -> int:
    ap = argparse.ArgumentParser(description="pin a VMM's vCPUs and watch events")
    ap.add_argument("pid", type=int)
    ap.add_argument("--strategy", default="local-first")
    ap.add_argument("--seconds", type=float, default=None,
                    help="stop after this long (default: until Ctrl-C)")
    args = ap.parse_args()
    try:
        with vmaccel.Manager() as m:
            vm = m.attach(args.pid)
            info = vm.info
            print(f"attached {info.name} (pid {info.pid}, {info.vmm.name.lower()}, "
                  f"{info.vcpu_count} vCPUs, {info.memory_bytes >> 20} MiB)")
            vm.pin(vmaccel.parse_strategy(args.strategy))
            for v in vm.vcpus:
                print(f"vCPU {v.index} (tid {v.tid}) -> CPU {v.planned_cpu}, "
                      f"node {v.planned_node}")
            m.setup_full()
            m.start()
            deadline = None if args.seconds is None else time.monotonic() + args.seconds
            while deadline is None or time.monotonic() < deadline:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                event = m.next_event(timeout=left)
                if event is not None:
                    print(f"event {event.sequence}: {vmaccel.pb.EventType.Name(event.type)} "
                          f"vm {event.vm_id}: {event.message}", flush=True)
            vm.restore_affinity()
    except vmaccel.Error as e:
        print(f"vmaccel: {e}")
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
