"""Soak run (not part of make check):

    top_builddir=BUILD top_srcdir=SRC python3 tests/soak.py [SECONDS] [SESSIONS]

Sessions log in, join rooms, chat and leave in a loop for SECONDS (default
300) with up to SESSIONS at once (default 40).  The daemon's long-lived
processes (master, broker, password checker) are measured once warm and
again at the end, after every session has left: memory (RSS, kB) and open
descriptors must be back where they were.  "Warm" is after the rooms'
histories are full and the loop itself has run for a tenth of the time.
Prints TAP and the figures."""

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


def run(d, rng, n, seconds):
    """The loop: sessions in batches of SESSIONS for seconds; returns the
    next session number, once every worker has gone."""
    t0 = time.monotonic()
    live = []
    while time.monotonic() - t0 < seconds:
        live.append(session(d, n, rng))
        n += 1
        if len(live) >= SESSIONS:
            for r in live:
                r.closed()
            live = []
    for r in live:
        r.closed()
    wait_for(lambda: not [c for p, c in d.children() if "worker" in c])
    return n


tap = Tap()
d = Daemon(users=[("u%d" % i, "pw") for i in range(20)],
           extra_conf="MaxSessionsPerSource 1000\nFloodBurst 100\n"
                      "FloodRate 1000\n")
try:
    d.start()
    rng = random.Random(1)
    # Fill every room's history (50 messages by default) with the longest
    # texts the loop sends: history is memory the broker keeps by design.
    r = RawClient(d.port)
    if r.login("u0", "pw")[0] != MSG["AUTH_OK"]:
        raise RuntimeError("login failed")
    for room in ["lobby"] + ["room%d" % k for k in range(5)]:
        r.send_msg(bytes([MSG["JOIN"]]) + wstr(room))
        for k in range(50):
            r.say(room, "fill %s %d %s" % (room, k, "x" * 2000))
    r.send_msg(bytes([MSG["BYE"]]) + wstr("exit"))
    r.closed()
    # Warm up with the loop itself for a tenth of the run (at least 10 s):
    # the allocators' high-water marks come from SESSIONS sessions at once,
    # each receiving a full history on join, and the baseline must include
    # them.  What the run measures is growth after that.
    n = run(d, rng, 0, max(10.0, SECONDS / 10))
    base = measure(d)
    tap.diag("warm: RSS %d kB, %d descriptors in %d processes" % base)
    t0 = time.monotonic()
    n = run(d, rng, n, SECONDS) - n
    end = measure(d)
    tap.diag("end: RSS %d kB, %d descriptors in %d processes, after %d "
             "sessions in %.0f s" % (end + (n, time.monotonic() - t0)))
    tap.ok(end[1] == base[1], "descriptors back to %d (%d)" % (base[1], end[1]))
    tap.ok(end[0] <= base[0] + 256, "memory back to %d kB (+256 kB slack for "
           "allocator caching: %d kB)" % (base[0], end[0]))
finally:
    d.cleanup()
tap.done()
