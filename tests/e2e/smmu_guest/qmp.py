#!/usr/bin/env python3
"""Runs QMP commands on a QEMU monitor socket, in order, and fails on an error.

usage: qmp.py SOCKET COMMAND[:JSON-ARGUMENTS]...
  e.g. qmp.py qmp.sock stop 'pmemsave:{"val":1073741824,"size":4096,"filename":"/tmp/m"}'
Prints each command's "return" as JSON; exit 1 on an error reply, a closed
socket or a 60 s silence.
"""
import json
import socket
import sys


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("QEMU closed the monitor")
        msg = json.loads(line)
        if "event" not in msg:
            return msg


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    reply(f)  # the greeting
    for cmd in ["qmp_capabilities"] + sys.argv[2:]:
        name, _, args = cmd.partition(":")
        req = {"execute": name}
        if args:
            req["arguments"] = json.loads(args)
        f.write(json.dumps(req) + "\n")
        f.flush()
        r = reply(f)
        if "error" in r:
            print("qmp.py: %s: %s" % (name, r["error"]), file=sys.stderr)
            return 1
        if name != "qmp_capabilities":
            print(json.dumps(r.get("return")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, RuntimeError, ValueError) as e:
        print("qmp.py: %s" % e, file=sys.stderr)
        sys.exit(1)
