"""Soak run (not part of make check):

    top_builddir=BUILD top_srcdir=SRC python3 tests/soak.py [SECONDS] [SESSIONS]

Sessions log in, join rooms, chat and leave in a loop for SECONDS (default
300) with up to SESSIONS at once (default 40).  The daemon's long-lived
processes (master, broker, password checker) are measured once warm and
again at the end, after every session has left: memory (RSS, kB) and open
descriptors must be back where they were.  Prints TAP and the figures."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "integration"))
from harness import Tap, Daemon, RawClient, MSG, wstr, wait_for  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 300
SESSIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 40


def measure(d):
    pids = [d.pid()] + [p for p, c in d.children() if "worker" not in c]
    rss = fds = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        fds += len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds, len(pids)


def session(d, i, rng):
    r = RawClient(d.port)
    m = r.login("u%d" % (i % 20), "pw")
    if m[0] != MSG["AUTH_OK"]:
        raise RuntimeError("login failed")
    room = "room%d" % rng.randrange(5)
    r.send_msg(bytes([MSG["JOIN"]]) + wstr(room))
    for k in range(rng.randrange(1, 10)):
        r.say(room, "soak %d %d %s" % (i, k, "x" * rng.randrange(1, 2000)))
    r.send_msg(bytes([MSG["BYE"]]) + wstr("exit"))
    return r


tap = Tap()
d = Daemon(users=[("u%d" % i, "pw") for i in range(20)],
           extra_conf="MaxSessionsPerSource 1000\nFloodBurst 100\n")
try:
    d.start()
    rng = random.Random(1)
    # Warm up: every room exists once, every code path has run once.
    for i in range(50):
        session(d, i, rng).closed()
    wait_for(lambda: not [c for p, c in d.children() if "worker" in c])
    base = measure(d)
    tap.diag("warm: RSS %d kB, %d descriptors in %d processes" % base)
    t0 = time.monotonic()
    n = 0
    live = []
    while time.monotonic() - t0 < SECONDS:
        live.append(session(d, n, rng))
        n += 1
        if len(live) >= SESSIONS:
            for r in live:
                r.closed()
            live = []
    for r in live:
        r.closed()
    wait_for(lambda: not [c for p, c in d.children() if "worker" in c])
    end = measure(d)
    tap.diag("end: RSS %d kB, %d descriptors in %d processes, after %d "
             "sessions in %.0f s" % (end + (n, time.monotonic() - t0)))
    tap.ok(end[1] == base[1], "descriptors back to %d (%d)" % (base[1], end[1]))
    tap.ok(end[0] <= base[0] + 256, "memory back to %d kB (+256 kB slack for "
           "allocator caching: %d kB)" % (base[0], end[0]))
finally:
    d.cleanup()
tap.done()
