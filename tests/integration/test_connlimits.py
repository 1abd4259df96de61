"""Connection limits: the per-source connection rate, MaxStartups, logging
that does not grow with a flood, a master out of descriptors that rests
instead of spinning, and session ids that skip live ones after wrapping."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, ProtocolClosed,  # noqa
                     proc_stat, wait_for, IS_ROOT, SECCHATD)

tap = Tap()
with open(SECCHATD, "rb") as f:
    HOOKS = b"SECCHAT_TEST_MASTER_NOFILE" in f.read()


def hello_from(src, port):
    """Connect from src and send the hello: (client, suite, refusal), the
    client None if the connection itself failed."""
    try:
        r = RawClient(port, source=src, timeout=10)
        suite = r.hello()
        return r, suite, r.refusal
    except (ProtocolClosed, OSError, ValueError):
        return None, 0, ""


def cpu_seconds(pid):
    st = proc_stat(pid)
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------ rate
d = Daemon(extra_conf="PerSourceConnectionRate 2:5\nMaxStartups 1000\n"
           "MaxSessionsPerSource 1000\n")
try:
    d.start()
    got = [hello_from("127.0.0.7", d.port) for _ in range(12)]
    accepted = sum(1 for r, s, _ in got if s != 0)
    limited = sum(1 for r, s, why in got if s == 0 and "later" in why)
    tap.diag("12 connections at once from one source: %d accepted, %d "
             "refused for the rate" % (accepted, limited))
    tap.ok(5 <= accepted <= 7, "about the burst (5) is accepted")
    tap.ok(limited >= 5, "the rest are refused in the hello, saying to "
           "try again later")
    r, s, _ = hello_from("127.0.0.8", d.port)
    tap.ok(s != 0, "another source is still accepted")
    for x, _, _ in got + [(r, 0, "")]:
        if x:
            x.close()

    # A flood of refused connections: the log does not grow with it.
    n = 0
    for _ in range(300):
        x, s, _ = hello_from("127.0.0.7", d.port)
        n += s == 0
        if x:
            x.close()
    lines = [l for l in d.log.all
             if re.search(r"refused connection from 127\.0\.0\.7", l)]
    tap.diag("%d refused, %d logged" % (n, len(lines)))
    tap.ok(n >= 250 and len(lines) < n / 2,
           "refused connections are logged at a bounded rate")
    # The lines held back are counted, in a line of their own.
    seen = wait_for(lambda: hello_from("127.0.0.7", d.port) and
                    d.log.seen(r"connections: \d+ log lines suppressed"),
                    step=0.25)
    tap.ok(seen, "the lines held back are counted in the log")
finally:
    d.cleanup()

# ------------------------------------------------------------ MaxStartups
d = Daemon(extra_conf="MaxStartups 3\nPerSourceConnectionRate 0:0\n")
try:
    d.start()
    pre = [hello_from("127.0.0.1", d.port) for _ in range(3)]
    tap.ok(all(s != 0 for _, s, _ in pre),
           "MaxStartups 3: three unauthenticated connections are accepted")
    x, s, why = hello_from("127.0.0.1", d.port)
    tap.ok(s == 0 and "busy" in why,
           "a fourth is refused while they wait (%r)" % why)
    if x:
        x.close()
    r, _, _ = pre[0]
    r.handshake(bytes([MSG["AUTH"]]) + b"\x00\x05alice\x00\x08alice-pw")
    ok = r.recv_msg()
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"], "one of them logs in")
    x, s, why = hello_from("127.0.0.1", d.port)
    tap.ok(s != 0, "then a new connection is accepted again")
    for c in [p[0] for p in pre] + [x]:
        if c:
            c.close()
finally:
    d.cleanup()

if not HOOKS:
    tap.skip("descriptor limit and session ids", "built without test hooks")
else:
    # ------------------------------------------------------------ descriptors
    # The test build lowers the master's descriptor limit after MaxSessions
    # was fitted to it, so that refused connections waiting to be closed use
    # up the descriptors and accept() fails with EMFILE.
    probe = Daemon()
    try:
        probe.start()
        base = len(os.listdir("/proc/%d/fd" % probe.pid()))
    finally:
        probe.cleanup()
    os.environ["SECCHAT_TEST_MASTER_NOFILE"] = str(base + 12)
    d = Daemon(extra_conf="MaxStartups 1000\nPerSourceConnectionRate 0:0\n"
               "MaxSessionsPerSource 1000\n")
    try:
        d.start()
        del os.environ["SECCHAT_TEST_MASTER_NOFILE"]
        flood = []
        for i in range(80):
            try:
                flood.append(RawClient(d.port, source="127.0.0.9", timeout=10))
            except OSError:
                pass
        tap.ok(d.log.expect(r"accept \(not accepting for \d+ ms\): Too many "
                            r"open files") is not None,
               "out of descriptors, the master says so")
        before = cpu_seconds(d.pid())
        lines_before = len([l for l in d.log.all if "accept" in l])
        wait_for(lambda: False, timeout=2)
        used = cpu_seconds(d.pid()) - before
        lines = len([l for l in d.log.all if "accept" in l]) - lines_before
        tap.diag("master CPU over 2 s with connections waiting: %.2f s, %d "
                 "accept lines" % (used, lines))
        tap.ok(used < 0.5, "and rests instead of spinning (%.2f s of CPU in "
               "2 s)" % used)
        tap.ok(lines <= 4, "logging at most once a second (%d lines)" % lines)
        for x in flood:
            x.close()
        ok = None
        for _ in range(20):
            try:
                r = RawClient(d.port)
                ok = r.login("alice", "alice-pw")
                r.close()
                if ok and ok[0] == MSG["AUTH_OK"]:
                    break
            except (ProtocolClosed, OSError, ValueError):
                pass
            wait_for(lambda: False, timeout=0.5)
        tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
               "once descriptors are free again, logins work")
    finally:
        d.cleanup()

    # ------------------------------------------------------------ session ids
    # Ids wrap after 3 in this test build: the fourth session must skip the
    # ids still in use.
    os.environ["SECCHAT_TEST_SESSION_IDS"] = "3"
    d = Daemon(users=[("alice", "alice-pw"), ("bob", "bob-pw"),
                      ("carol", "carol-pw"), ("dave", "dave-pw")],
               extra_conf="LogLevel DEBUG\nPerSourceConnectionRate 0:0\n")
    try:
        d.start()
        del os.environ["SECCHAT_TEST_SESSION_IDS"]
        a = RawClient(d.port)
        a.login("alice", "alice-pw")
        b = RawClient(d.port)
        b.hello()
        c = RawClient(d.port)
        c.login("carol", "carol-pw")
        b.close()
        tap.ok(d.log.expect(r"Connection from .* closed before login") is not
               None, "the second session ends")
        x = RawClient(d.port)
        x.login("dave", "dave-pw")
        ids = [int(m.group(1)) for m in
               (re.search(r"session (\d+): 127\.0\.0\.1 port", l)
                for l in d.log.all) if m]
        tap.diag("session ids: %r" % ids)
        tap.ok(ids == [1, 2, 3, 2], "after wrapping, the new session took the "
               "free id, not a live one")
        a.say("lobby", "to all")
        m = x.recv_until(MSG["MESSAGE"], timeout=10)
        tap.ok(m is not None and b"alice" in m and b"to all" in m,
               "and its traffic is its own")
        for c_ in (a, c, x):
            c_.close()
    finally:
        d.cleanup()

tap.done()
