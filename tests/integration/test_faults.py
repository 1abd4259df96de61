"""Faults and abuse: killed workers and broker, idle and trickling
connections, connection floods, password guessing, garbage at every stage,
and a delivery audit.  Each part asserts that nothing is lost and that the
daemon keeps serving.  Figures are printed as TAP diagnostics and collected
in doc/reliability.md."""

import os
import random
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, ProtocolClosed,  # noqa
                     parse_str, wait_for, wstr)

GRACE = 3
tap = Tap()
d = Daemon(users=[("u%d" % i, "pw%d" % i) for i in range(12)],
           extra_conf="LoginGraceTime %d\nMaxSessions 40\n"
           "MaxSessionsPerSource 20\nMaxAuthFailuresPerSource 10\n"
           "FloodBurst 1000\nFloodRate 1000\n"
           # The flood and the guessing below come faster than the
           # per-source rate allows, and MaxStartups would refuse the flood
           # before MaxSessions does: test_connlimits.py tests those.
           "MaxStartups 100\nPerSourceConnectionRate 0:0\n" % GRACE)


def raw_from(src, port):
    return RawClient(port, source=src)


def login_ok(r, user, pw):
    try:
        m = r.login(user, pw)
        return m is not None and m[0] == MSG["AUTH_OK"]
    except (ProtocolClosed, OSError, ValueError):
        return False


def still_serving(tag):
    r = RawClient(d.port)
    good = login_ok(r, "u11", "pw11")
    r.close()
    tap.ok(good, "%s: the daemon still serves a new login" % tag)


try:
    d.start()

    # ------------------------------------------------------------ worker kill
    a = Client(d, "u0", "pw0")
    b = Client(d, "u1", "pw1")
    c = Client(d, "u2", "pw2")
    tap.ok(all(x.out.expect(r" login ") for x in (a, b, c)),
           "three clients log in")
    for i in range(50):
        a.send("before %d" % i)
    victim = wait_for(lambda: [p for p, cmd in d.children() if " u2" in cmd])
    tap.ok(len(victim) == 1, "found u2's worker")
    os.kill(victim[0], signal.SIGKILL)
    for i in range(50):
        a.send("after %d" % i)
    got = [b.out.expect(r" message lobby u0 (before|after) (\d+)$")
           for _ in range(100)]
    tap.ok(all(got) and [g.group(1) + g.group(2) for g in got] ==
           ["before%d" % i for i in range(50)] + ["after%d" % i for i in range(50)],
           "kill -9 of a worker mid-traffic: u1 still gets all 100 of u0's "
           "messages in order")
    tap.ok(b.out.wait_seen(r" departed lobby u2 connection lost$"),
           "u1 is told u2's connection was lost")
    tap.ok(c.wait() not in (None, 0), "u2's client notices and exits non-zero")
    tap.ok(d.log.expect(r"Disconnected u2 .*signal 9") is not None,
           "the daemon logs the killed worker")

    # ------------------------------------------------------------ broker kill
    broker = d.role_pids("secchatd: broker") or [
        p for p, cmd in d.children() if "broker" in cmd]
    tap.ok(len(broker) == 1, "found the broker")
    for i in range(20):
        a.send("pre-broker-kill %d" % i)
    m = b.out.expect(r" message lobby u0 pre-broker-kill 19$")
    tap.ok(m is not None, "traffic flows before the broker is killed")
    os.kill(broker[0], signal.SIGKILL)
    tap.ok(a.out.expect(r" bye chat service restarted$") is not None and
           b.out.expect(r" bye chat service restarted$") is not None,
           "kill -9 of the broker: every client is told why it is cut off")
    tap.ok(a.wait() == 7 and b.wait() == 7, "and the clients exit with 7")
    tap.ok(d.log.expect(r"broker exited") is not None,
           "the daemon logs the broker's death")
    newbroker = wait_for(lambda: [p for p, cmd in d.children()
                                  if "broker" in cmd and p != broker[0]])
    tap.ok(len(newbroker) == 1, "a new broker is started")
    tap.ok(d.log.expect(r"broker restarted; serving again") is not None,
           "the daemon says when it serves again")
    a = Client(d, "u0", "pw0")
    b = Client(d, "u1", "pw1")
    ok = a.out.expect(r" login ") and b.out.expect(r" login ")
    if ok:
        a.send("after the restart")
        ok = b.out.expect(r" message lobby u0 after the restart$")
    tap.ok(bool(ok), "after the broker restart, clients log in and chat")

    # ------------------------------------------------------------ idle / trickle
    idle = [raw_from("127.0.0.3", d.port) for _ in range(10)]
    trickle = [raw_from("127.0.0.4", d.port) for _ in range(10)]
    stop = threading.Event()

    def trickler():
        hello = b"\x00\x0bSECCHAT1\x01\x02"
        i = 0
        while not stop.is_set() and i < len(hello):
            for t in trickle:
                try:
                    t.sock.send(hello[i:i + 1])
                except OSError:
                    pass
            i += 1
            stop.wait(1.0)
    th = threading.Thread(target=trickler, daemon=True)
    th.start()
    r = RawClient(d.port)
    try:
        m = r.login("u5", "pw5")
        good = m[0] == MSG["AUTH_OK"]
    except Exception as e:  # noqa: B902
        good = False
        tap.diag("login failed: %r %r" % (e, getattr(r, "refusal", None)))
    tap.ok(good,
           "with 20 idle and trickling connections open, a real user logs in")
    r.close()
    t0 = time.monotonic()
    closed = [x.closed(timeout=GRACE + 10) for x in idle + trickle]
    took = time.monotonic() - t0
    stop.set()
    tap.ok(all(closed), "all 20 idle or one-byte-a-second connections are cut "
           "at the grace time (%d s; all closed within %.1f s)" % (GRACE, took))
    tap.ok(d.log.expect(r"closed before login: (login grace time|.*grace)")
           is not None or d.log.seen(r"grace time"),
           "the daemon logs the grace-time cut")

    # ------------------------------------------------------------ connection flood
    flood = []
    refused = 0
    for i in range(60):
        src = "127.0.1.%d" % (1 + i // 15)
        try:
            x = raw_from(src, d.port)
            flood.append(x)
        except OSError:
            refused += 1
    answers = {"refused": 0, "accepted": 0}
    for x in flood:
        try:
            suite = x.hello((2,))
            if suite == 0:
                answers["refused"] += 1
            else:
                answers["accepted"] += 1
        except (ProtocolClosed, OSError, ValueError):
            answers["refused"] += 1
    tap.diag("flood of 60 connections: %r" % answers)
    tap.ok(answers["refused"] > 0 and answers["accepted"] + 2 <= 40,
           "connections beyond MaxSessions 40 are refused in the hello")
    tap.ok(any("server full" in (getattr(x, "refusal", "") or "")
               for x in flood), "the refusal says the server is full")
    a.send("during the flood")
    tap.ok(b.out.expect(r" message lobby u0 during the flood$") is not None,
           "established sessions are unaffected by the flood")
    for x in flood:
        x.close()
    wait_for(lambda: len(d.children()) <= 6, timeout=20)

    # ------------------------------------------------------------ guessing
    throttled = 0
    attempts = 0
    for i in range(300):
        x = raw_from("127.0.0.5", d.port)
        try:
            rep = x.login("u3", "guess%d" % i)
            attempts += 1
            if rep[0] == MSG["AUTH_FAIL"] and "later" in parse_str(rep, 2)[0]:
                throttled += 1
        except (ProtocolClosed, OSError, ValueError):
            pass
        x.close()
    tap.diag("password guessing: %d attempts, %d throttled" %
             (attempts, throttled))
    tap.ok(attempts == 300 and throttled >= 280,
           "300 guesses from one address: all but the first few throttled")
    x = raw_from("127.0.0.6", d.port)
    tap.ok(login_ok(x, "u3", "pw3"),
           "meanwhile the real user logs in from another address")
    x.close()

    # ------------------------------------------------------------ garbage
    rng = random.Random(7)
    cases = []
    cases.append(("random bytes", rng.randbytes(500)))
    cases.append(("zero-length frame", b"\x00\x00"))
    cases.append(("oversized length", b"\xff\xff" + b"A" * 100))
    cases.append(("truncated hello", b"\x00\x0bSECCHAT"))
    cases.append(("wrong magic", b"\x00\x0aSECCHAT9\x01\x02"))
    cases.append(("hello with 9 suites", b"\x00\x12SECCHAT1\x09" + b"\x02" * 9))
    garbage_ok = 0
    for name, data in cases:
        x = RawClient(d.port)
        try:
            x.sock.sendall(data)
            x.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if x.closed(timeout=GRACE + 10):
            garbage_ok += 1
        else:
            tap.diag("not closed: " + name)
        x.close()
    # After a good hello: garbage as Noise message 1, and a good handshake
    # followed by junk in place of records.
    for stage in ("msg1", "msg3", "record", "record-length"):
        x = RawClient(d.port)
        try:
            x.hello((2,))
            if stage == "msg1":
                x.send_frame(rng.randbytes(31))
            elif stage == "msg3":
                x.send_frame(rng.randbytes(32))
                x.recv_frame()
                x.send_frame(rng.randbytes(80))
            else:
                x.handshake(bytes([MSG["AUTH"]]) + wstr("u4") + wstr("pw4"))
                x.recv_msg()
                if stage == "record":
                    x.send_frame(rng.randbytes(64))
                else:
                    x.sock.sendall(b"\x10\x00" + b"\x01" * 7)
                    x.sock.shutdown(socket.SHUT_WR)
        except (ProtocolClosed, OSError, ValueError):
            pass
        cases.append((stage, b""))
        if x.closed(timeout=GRACE + 10):
            garbage_ok += 1
        else:
            tap.diag("not closed: " + stage)
        x.close()
    # A valid record holding a malformed message.
    x = RawClient(d.port)
    x.login("u4", "pw4")
    x.send_msg(bytes([MSG["SAY"]]) + b"\x00\x05lob")
    cases.append(("malformed message", b""))
    if x.closed(timeout=10):
        garbage_ok += 1
    x.close()
    tap.ok(garbage_ok == len(cases), "garbage at every stage (%d cases) ends "
           "only that connection" % len(cases))
    a.send("after the garbage")
    tap.ok(b.out.expect(r" message lobby u0 after the garbage$") is not None,
           "established sessions are unaffected by the garbage")
    still_serving("after faults")
    a.send("exit")
    b.send("exit")
    a.wait()
    b.wait()

    # ------------------------------------------------------------ audit
    N, K = 8, 40
    cl = [Client(d, "u%d" % i, "pw%d" % i) for i in range(N)]
    tap.ok(all(x.out.expect(r" login ") for x in cl), "%d clients log in" % N)
    # Wait until everyone knows everyone is there: whoever was in the lobby
    # first is in a NAMES line, whoever came later in an ARRIVED line.
    def present(x):
        users = set()
        for line in x.out.all:
            f = line.split()
            if len(f) >= 3 and f[1] == "names" and f[2] == "lobby":
                users.update(f[3:])
            elif len(f) == 4 and f[1] == "arrived" and f[2] == "lobby":
                users.add(f[3])
        return users
    everyone = set("u%d" % i for i in range(N))
    tap.ok(all(wait_for(lambda: present(x) >= everyone) for x in cl),
           "every client sees all %d in the lobby" % N)
    for k in range(K):
        for i, x in enumerate(cl):
            x.send("audit %d %d" % (i, k))
    bad = 0
    total = 0
    for i, x in enumerate(cl):
        seen = {j: [] for j in range(N) if j != i}
        for _ in range((N - 1) * K):
            m = x.out.expect(r" message lobby u(\d+) audit (\d+) (\d+)$")
            if not m:
                break
            seen[int(m.group(2))].append(int(m.group(3)))
            total += 1
        for j, seq in seen.items():
            if seq != list(range(K)):
                bad += 1
        if x.out.seen(r" audit %d " % i):
            bad += 1
    tap.diag("delivery audit: %d clients x %d messages, %d deliveries "
             "checked" % (N, K, total))
    tap.ok(bad == 0 and total == N * (N - 1) * K,
           "delivery audit: every client got every other client's messages "
           "exactly once, in order, and none of its own (%d of %d)" %
           (total, N * (N - 1) * K))
    for x in cl:
        x.send("exit")
    tap.ok(all(x.wait() == 0 for x in cl), "all audit clients leave cleanly")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
