import sys

import vmaccel

with vmaccel.Manager() as m:
    m.attach(int(sys.argv[1]))      # a running QEMU's pid (same user, or CAP_SYS_NICE)
    m.setup_full()                  # NUMA balancing on when the host has 2+ nodes
    m.start()
    for event in m.events():        # or: async for event in m.aevents()
        print(vmaccel.pb.EventType.Name(event.type), event.message)
