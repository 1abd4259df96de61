"""Password checks under attack: attempts that reset the connection after
AUTH are counted and cannot queue work without bound, simultaneous first
attempts cannot all pass the per-source limit, and a real user who
mistyped once gets in while a guesser spread over many addresses works on
the same account.  MaxSessionsPerUser bounds one account's sessions."""

import os
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG,  # noqa
                     ProtocolClosed, parse_str)

tap = Tap()


def attempt(src, port, user, pw, reset=False):
    """One login from src; returns the reply, or None if the connection
    was refused or closed.  With reset, AUTH is sent and the connection
    reset at once (SO_LINGER 0), without waiting for the answer."""
    try:
        r = RawClient(port, source=src, timeout=10)
    except OSError:
        return None
    try:
        r.hello()
        auth = bytes([MSG["AUTH"]]) + struct.pack(">H", len(user)) + \
            user.encode() + struct.pack(">H", len(pw)) + pw.encode()
        r.handshake(auth)
        if reset:
            r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            return None
        return r.recv_msg()
    except (ProtocolClosed, OSError, ValueError):
        return None
    finally:
        r.close()


def sync_log(d):
    """Every line the daemon wrote so far has been read: one more login,
    from elsewhere, and its line awaited."""
    attempt("127.0.0.99", d.port, "logsync", "x")
    d.log.expect(r"Failed login for logsync from 127\.0\.0\.99")


def failed_lines(d, user, src):
    pat = re.compile(r"Failed login for %s from %s port" %
                     (re.escape(user), re.escape(src)))
    return [l for l in d.log.all if pat.search(l)]


# ------------------------------------------------------------ AUTH, reset
# Slow (Argon2id) hashes, as in production: every check the attacker gets
# queued costs the checker real time.  The connection-rate limits are off
# so that only the password-check limits stand in the way.
d = Daemon(users=[("alice", "alice-pw"), ("bob", "bob-pw")],
           algorithm="argon2id",
           extra_conf="MaxAuthFailuresPerSource 10\nMaxStartups 1000\n"
           "PerSourceConnectionRate 0:0\nMaxSessionsPerSource 1000\n")
try:
    d.start()
    stop = time.monotonic() + 5
    n = 0
    while time.monotonic() < stop:
        attempt("127.0.0.2", d.port, "alice", "guess%d" % n, reset=True)
        n += 1
    tap.diag("%d AUTH-then-reset attempts in 5 s" % n)
    t0 = time.monotonic()
    rep = attempt("127.0.0.3", d.port, "bob", "bob-pw")
    took = time.monotonic() - t0
    tap.diag("then a login from elsewhere took %.2f s" % took)
    tap.ok(rep is not None and rep[0] == MSG["AUTH_OK"],
           "after a flood of AUTH-then-reset, a real user from another "
           "address logs in")
    sync_log(d)
    fl = failed_lines(d, "alice", "127.0.0.2")
    tap.ok(len(fl) >= 1, "the reset attempts are logged as failed logins "
           "(%d lines)" % len(fl))
    tap.ok(len(fl) <= 10, "no more of them were checked than "
           "MaxAuthFailuresPerSource allows (%d)" % len(fl))
    tap.ok(d.log.seen(r"throttled login for alice from 127\.0\.0\.2"),
           "the rest are logged as throttled")
    rep = attempt("127.0.0.2", d.port, "alice", "alice-pw")
    tap.ok(rep is not None and rep[0] == MSG["AUTH_FAIL"] and
           "later" in parse_str(rep, 2)[0],
           "the flooding source is throttled, its attempts having counted")
finally:
    d.cleanup()

# ------------------------------------------------------------ at once
d = Daemon(users=[("carol", "carol-pw")],
           extra_conf="MaxAuthFailuresPerSource 10\nMaxStartups 1000\n"
           "PerSourceConnectionRate 0:0\nMaxSessionsPerSource 1000\n")
try:
    d.start()
    clients = []
    for i in range(32):
        r = RawClient(d.port, source="127.0.0.4")
        r.hello()
        clients.append(r)
    # Every handshake done first, then all 32 AUTHs at once.
    go = threading.Barrier(32)
    replies = [None] * 32

    def run(i):
        r = clients[i]
        try:
            auth = bytes([MSG["AUTH"]]) + struct.pack(">H", 5) + b"carol" + \
                struct.pack(">H", 8) + ("wrong%03d" % i).encode()
            go.wait(timeout=20)
            r.handshake(auth)
            replies[i] = r.recv_msg()
        except (ProtocolClosed, OSError, ValueError,
                threading.BrokenBarrierError):
            pass

    ts = [threading.Thread(target=run, args=(i,)) for i in range(32)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    for r in clients:
        r.close()
    answered = sum(1 for x in replies if x is not None)
    sync_log(d)
    checked = len(failed_lines(d, "carol", "127.0.0.4"))
    tap.diag("32 simultaneous first attempts: %d answered, %d checked" %
             (answered, checked))
    tap.ok(answered == 32, "every attempt was answered")
    tap.ok(1 <= checked <= 10, "at most MaxAuthFailuresPerSource (10) of "
           "them reached the password checker (%d)" % checked)
finally:
    d.cleanup()

# ------------------------------------------------------------ one account
d = Daemon(users=[("dave", "dave-pw")],
           extra_conf="MaxAuthFailuresPerSource 5\nMaxAuthTries 2\n"
           "MaxStartups 1000\nPerSourceConnectionRate 0:0\n")
try:
    d.start()
    # A guesser spread over twelve addresses, one guess from each: the
    # account has drawn more than twice MaxAuthFailuresPerSource failures.
    for i in range(12):
        attempt("127.0.1.%d" % (i + 1), d.port, "dave", "guess%d" % i)
    # dave, from his own address, mistypes once, then types it right.
    r = RawClient(d.port, source="127.0.1.50")
    first = r.login("dave", "dave-pw-typo")
    tap.ok(first is not None and first[0] == MSG["AUTH_FAIL"],
           "the real user's typo is refused")
    r.send_auth("dave", "dave-pw")
    second = r.recv_msg()
    tap.ok(second is not None and second[0] == MSG["AUTH_OK"],
           "with the right password he gets in, though his account is "
           "under attack and his address failed once")
    r.close()
    # A source that used up MaxAuthTries at the attacked account is
    # refused for it, even with the right password, though it has not
    # reached its own MaxAuthFailuresPerSource: the guesser's limit.
    for i in range(2):
        attempt("127.0.1.60", d.port, "dave", "more%d" % i)
    rep = attempt("127.0.1.60", d.port, "dave", "dave-pw")
    tap.ok(rep is not None and rep[0] == MSG["AUTH_FAIL"] and
           "later" in parse_str(rep, 2)[0],
           "a source with MaxAuthTries failures at the attacked account is "
           "throttled for it")
finally:
    d.cleanup()

# ------------------------------------------------------------ per user
d = Daemon(users=[("erin", "erin-pw"), ("frank", "frank-pw")],
           extra_conf="MaxSessionsPerUser 2\n")
try:
    d.start()
    held = []
    for i in range(2):
        r = RawClient(d.port)
        rep = r.login("erin", "erin-pw")
        held.append(r)
    tap.ok(rep is not None and rep[0] == MSG["AUTH_OK"],
           "MaxSessionsPerUser 2: two sessions of one account log in")
    r = RawClient(d.port)
    rep = r.login("erin", "erin-pw")
    tap.ok(rep is not None and rep[0] == MSG["AUTH_FAIL"] and
           parse_str(rep, 2)[0] == "too many sessions for this user",
           "a third is refused, saying why")
    tap.ok(r.closed(), "and closed")
    r.close()
    tap.ok(d.log.expect(r"refused login for erin from 127\.0\.0\.1 port "
                        r"\d+: too many sessions for this user") is not None,
           "the refusal is logged")
    r = RawClient(d.port)
    rep = r.login("frank", "frank-pw")
    tap.ok(rep is not None and rep[0] == MSG["AUTH_OK"],
           "another account is not affected")
    r.close()
    held.pop().close()
    tap.ok(d.log.expect(r"Disconnected erin") is not None,
           "one of erin's sessions ends")
    r = RawClient(d.port)
    rep = r.login("erin", "erin-pw")
    tap.ok(rep is not None and rep[0] == MSG["AUTH_OK"],
           "then erin can log in again")
    r.close()
    for x in held:
        x.close()
finally:
    d.cleanup()

# ------------------------------------------------------------ busy
# Several people behind one address log in at once, more than may wait
# for the checker from one source: the ones told "server busy" are not
# refused, and the client sends the login again by itself.
d = Daemon(users=[("u%d" % i, "pw%d" % i) for i in range(4)],
           algorithm="argon2id", extra_conf="MaxAuthPendingPerSource 1\n")
try:
    d.start()
    cl = [Client(d, "u%d" % i, "pw%d" % i) for i in range(4)]
    ok = [x.out.expect(r" login u%d$" % i) is not None
          for i, x in enumerate(cl)]
    tap.ok(all(ok), "four clients from one address log in at once, with "
           "MaxAuthPendingPerSource 1 (%r)" % ok)
    tap.ok(d.log.seen(r"too many password checks waiting"),
           "some of them were told the server was busy")
    for x in cl:
        x.send("/quit")
    tap.ok(all(x.wait() == 0 for x in cl), "and all leave cleanly")
finally:
    d.cleanup()

tap.done()
