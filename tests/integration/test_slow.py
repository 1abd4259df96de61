"""A session that stops reading is disconnected when its queue fills, and
everyone else's messages keep flowing."""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, WAIT,  # noqa: E402
                     proc_stat)

N = 1500
tap = Tap()


def cpu_seconds(pid):
    """utime + stime of a process, or None once it is gone."""
    st = proc_stat(pid)
    if st is None:
        return None
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


class CpuWatch(threading.Thread):
    """The last CPU time seen for pid before it went away."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.last = pid, 0.0
        self.start()

    def run(self):
        while True:
            t = cpu_seconds(self.pid)
            if t is None:
                return
            self.last = t
            time.sleep(0.05)

# Flood control paces the sender at a rate any reading client keeps up
# with; the reader that stops reading must still be cut off.
d = Daemon(extra_conf="SendQueueSize 64K\nFloodBurst 20\nFloodRate 400\n")
try:
    d.start()
    # The slow reader: a tiny receive buffer, and it never reads.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect(("127.0.0.1", d.port))
    slow = RawClient.__new__(RawClient)
    slow.sock, slow.buf, slow.tx, slow.rx = s, b"", None, None
    ok = slow.login("carol", "carol-pw")
    tap.ok(ok[0] == MSG["AUTH_OK"], "the slow reader logs in")
    carol = [p for p, cmd in d.children()
             if cmd.startswith("secchatd: worker") and cmd.endswith(" carol")]
    tap.ok(len(carol) == 1, "the slow reader's worker is found")
    watch = CpuWatch(carol[0]) if carol else None

    a = Client(d, "alice", "alice-pw")
    b = Client(d, "bob", "bob-pw")
    tap.ok(a.out.expect(r" login alice$") is not None and
           b.out.expect(r" login bob$") is not None, "alice and bob log in")
    filler = "x" * 3900
    for i in range(N):
        if not a.send("%d %s" % (i, filler)):
            break
    tap.ok(d.log.expect(r"Disconnected carol .*send queue full") is not None,
           "the slow reader is disconnected when its queue fills")
    got = 0
    for i in range(N):
        m = b.out.expect(r" message lobby alice (\d+) x+$")
        if not m or int(m.group(1)) != i:
            break
        got += 1
    tap.ok(got == N, "bob received all %d of alice's messages in order "
           "(%d)" % (N, got))
    tap.ok(b.out.expect(r" departed lobby carol send queue full") is not None
           or b.out.seen(r" departed lobby carol "),
           "bob is told the slow reader left")
    tap.ok(slow.closed(), "the slow reader's connection is closed")
    # Cut off, the worker lingers (up to two seconds) for its last bytes
    # to go out; it must wait for them in poll(), not spin.  A worker's
    # whole life here is a login and some thousands of records: far
    # below the two seconds a spinning linger costs.
    if watch:
        watch.join(WAIT)
    tap.ok(watch is not None and not watch.is_alive() and watch.last < 0.5,
           "the cut-off worker used %.2f s of CPU in its life"
           % (watch.last if watch else -1))
    a.send("exit")
    b.send("exit")
    tap.ok(a.wait() == 0 and b.wait() == 0, "alice and bob leave normally")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
