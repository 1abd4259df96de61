"""Logins: the same answer for an unknown user and a wrong password, at most
three attempts per connection, and throttling of a guessing source that
leaves a real user from elsewhere alone."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, ProtocolClosed,  # noqa
                     parse_str)

tap = Tap()
d = Daemon(extra_conf="MaxAuthFailuresPerSource 6\n")


def fail_reply(m):
    if m is None or m[0] != MSG["AUTH_FAIL"]:
        return None
    return (m[1], parse_str(m, 2)[0])


try:
    d.start()
    r1 = RawClient(d.port)
    wrong = fail_reply(r1.login("alice", "not-her-password"))
    r2 = RawClient(d.port)
    unknown = fail_reply(r2.login("mallory", "whatever"))
    tap.ok(wrong is not None and wrong[0] == 2,
           "a wrong password gets AUTH_FAIL with 2 tries left")
    tap.ok(wrong == unknown,
           "an unknown user gets exactly the same answer (%r)" % (unknown,))
    r2.close()

    # Second and third attempts on the same connection, then a fourth.
    r1.send_auth("alice", "still-wrong")
    second = fail_reply(r1.recv_msg())
    tap.ok(second is not None and second[0] == 1, "second attempt: 1 try left")
    r1.send_auth("alice", "wrong-again")
    third = fail_reply(r1.recv_msg())
    tap.ok(third is not None and third[0] == 0, "third attempt: no tries left")
    try:
        r1.send_auth("alice", "alice-pw")
        fourth = r1.recv_until(MSG["AUTH_OK"], timeout=5)
    except (ProtocolClosed, OSError, ValueError):
        fourth = None
    tap.ok(fourth is None, "a fourth attempt on one connection is refused, "
           "even with the right password")
    tap.ok(r1.closed(), "the server closes that connection")

    # A correct login works.
    r3 = RawClient(d.port)
    ok = r3.login("alice", "alice-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"] and
           parse_str(ok, 1)[0] == "alice", "the right password logs in")
    r3.close()

    # Guessing from 127.0.0.1: after MaxAuthFailuresPerSource, throttled.
    throttled_reason = None
    for i in range(40):
        r = RawClient(d.port)
        rep = fail_reply(r.login("alice", "guess-%d" % i))
        r.close()
        if rep and "later" in rep[1]:
            throttled_reason = rep[1]
            break
    tap.ok(throttled_reason is not None,
           "a guessing source is throttled (%s)" % throttled_reason)
    r = RawClient(d.port)
    rep = fail_reply(r.login("alice", "alice-pw"))
    r.close()
    tap.ok(rep is not None and "later" in rep[1],
           "while throttled, even the right password is refused from there")
    tap.ok(d.log.expect(r"throttled login for alice from 127\.0\.0\.1")
           is not None, "the daemon logs the throttling")

    # A real user from another address still logs in.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", d.port))
    r4 = RawClient.__new__(RawClient)
    r4.sock, r4.buf, r4.tx, r4.rx = s, b"", None, None
    s.settimeout(20)
    ok = r4.login("alice", "alice-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
           "alice logs in from 127.0.0.2 meanwhile")
    r4.close()

    # The real client reports a wrong password and exits with status 4.
    c = Client(d, "bob", "wrong")
    tap.ok(c.wait() == 4, "secchat exits 4 on a wrong password")
    tap.ok(any("authentication failed" in l for l in c.err.all),
           "and says so on stderr")
    tap.ok(not d.log.seen(r"(?i)alice-pw|guess-\d|not-her-password"),
           "no password appears in the daemon's log")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
