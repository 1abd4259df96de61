"""Planted code: a worker that misbehaves as a taken-over one would (the
test hooks in worker.c) is killed by the seccomp filter at its first
forbidden call, and every other process of the daemon is unharmed.

The misbehaviour here is "fcntl-async": F_SETOWN to the daemon's process
group, F_SETSIG SIGKILL and O_ASYNC on the client socket, so that the
socket's next I/O would have the kernel kill every process of the group
that the worker's uid may signal.  The daemon leads a process group of its
own (as it does once detached), so a filter that lets this through kills
the daemon's processes and nothing of the test runner's.

Two ways in: a logged-in client says "secchat-test-hook:fcntl-async", and
a connection that has not sent its hello gets a worker that runs the hook
at start (SECCHAT_TEST_WORKER_HOOK=fcntl-async@127.0.0.2, so that only the
connection from 127.0.0.2 is hostile).  Each time, two users who are
logged in keep chatting, the broker and the password checker are the same
processes and running, and a new user logs in.
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, SECCHATD,  # noqa
                     BUILDDIR, ProtocolClosed, proc_stat, wait_for, WAIT)

HOOK = "secchat-test-hook:fcntl-async"
USERS = (("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw"),
         ("dave", "dave-pw"))
SIGSYS_DEATH = r"worker killed by signal 31 \(forbidden system call\)"

tap = Tap()


def built_with(text, path):
    try:
        with open(path, "rb") as f:
            return text in f.read()
    except OSError:
        return False


def role(d, title):
    return [p for p, c in d.children() if c.startswith(title)]


def running(pid):
    """Alive and neither stopped nor a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] not in "TtZX"


def start(d):
    """The daemon in a group of its own, alice and bob logged in; returns
    their clients and the pids of the broker and the password checker."""
    d.start(own_group=True)
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" login alice$") is not None, "alice logs in")
    b = Client(d, "bob", "bob-pw")
    tap.ok(b.out.expect(r" login bob$") is not None, "bob logs in")
    tap.ok(a.out.expect(r" arrived lobby bob$") is not None,
           "alice sees bob arrive")
    broker = wait_for(lambda: role(d, "secchatd: broker"))
    authd = wait_for(lambda: role(d, "secchatd: auth"))
    tap.ok(len(broker) == 1 and len(authd) == 1,
           "found the broker and the password checker (%r)" % d.children())
    return a, b, broker[:1], authd[:1]


def unharmed(d, a, b, broker, authd, what):
    """Everyone but the hostile worker goes on as before."""
    tap.ok(d.proc.poll() is None, "%s: the master is running" % what)
    tap.ok(broker and role(d, "secchatd: broker") == broker and
           running(broker[0]),
           "%s: the broker is the same process, running (%r)" %
           (what, [(p, proc_stat(p) and proc_stat(p)[0]) for p in broker]))
    tap.ok(authd and role(d, "secchatd: auth") == authd and
           running(authd[0]),
           "%s: the password checker is the same process, running" % what)
    tap.ok(not d.log.seen(r"(broker|password checker) \(pid \d+\)"),
           "%s: the master saw neither the broker nor the checker die" %
           what)
    a.send("alice after " + what)
    tap.ok(b.out.expect(r" message lobby alice alice after %s$" % what)
           is not None, "%s: bob hears alice" % what)
    b.send("bob after " + what)
    tap.ok(a.out.expect(r" message lobby bob bob after %s$" % what)
           is not None, "%s: alice hears bob" % what)
    try:
        r = RawClient(d.port)
        ok = r.login("dave", "dave-pw")
    except (ProtocolClosed, OSError) as e:
        ok = None
        tap.diag("dave: %r" % e)
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
           "%s: a new user logs in" % what)
    tap.ok(a.out.expect(r" arrived lobby dave$") is not None,
           "%s: alice sees dave arrive" % what)
    if ok is not None:
        r.close()
        tap.ok(b.out.expect(r" departed lobby dave ") is not None,
               "%s: bob sees dave leave" % what)


def stop(d, a, b):
    for c in (a, b):
        c.send("exit")
    for c in (a, b):
        if c.wait() is None:
            c.kill()


def hostile_after_login():
    d = Daemon(users=USERS)
    try:
        a, b, broker, authd = start(d)
        r = RawClient(d.port)
        ok = r.login("carol", "carol-pw")
        tap.ok(ok[0] == MSG["AUTH_OK"], "carol logs in")
        tap.ok(b.out.expect(r" arrived lobby carol$") is not None,
               "bob sees carol arrive")
        r.say("lobby", HOOK)
        # A PING answered means the worker went past the hook alive; then
        # the next bytes from the client are the I/O that raises the
        # signal.
        survived = False
        try:
            r.send_msg(bytes([MSG["PING"]]) + struct.pack(">Q", 7))
            survived = r.recv_until(MSG["PONG"]) is not None
            r.say("lobby", "carol's worker is still there")
        except (ProtocolClosed, OSError):
            pass
        tap.ok(not survived, "carol's worker does not live past the hook")
        tap.ok(r.closed(), "carol's connection is closed")
        r.close()
        tap.ok(d.log.expect(r"Disconnected carol from 127\.0\.0\.1 port "
                            r"\d+: " + SIGSYS_DEATH) is not None,
               "the master logs that carol's worker was killed by SIGSYS")
        tap.ok(b.out.expect(r" departed lobby carol ") is not None,
               "bob sees carol leave")
        tap.ok(not b.out.seen(HOOK) and not a.out.seen(HOOK),
               "the message that ran the hook was not delivered")
        unharmed(d, a, b, broker, authd, "a logged-in worker's attack")
        stop(d, a, b)
    finally:
        d.cleanup()
        if tap.failed:
            tap.diag("\n".join(d.log.all if d.log else []))


def hostile_before_hello():
    d = Daemon(users=USERS)
    os.environ["SECCHAT_TEST_WORKER_HOOK"] = "fcntl-async@127.0.0.2"
    try:
        try:
            a, b, broker, authd = start(d)
        finally:
            del os.environ["SECCHAT_TEST_WORKER_HOOK"]
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", d.port))
        s.settimeout(WAIT)
        r = RawClient.__new__(RawClient)
        r.sock, r.buf, r.tx, r.rx = s, b"", None, None
        # The hook runs before the worker reads anything.  A server hello
        # means it went past the hook alive; then handshake message 1 is
        # the I/O that raises the signal.
        survived = False
        try:
            r.hello()
            survived = True
            r.send_frame(os.urandom(32))
        except (ProtocolClosed, OSError, ValueError):
            pass
        tap.ok(not survived, "the worker of a connection from 127.0.0.2 "
               "does not live past the hook to answer the hello")
        tap.ok(r.closed(), "that connection is closed")
        r.close()
        tap.ok(d.log.expect(r"Connection from 127\.0\.0\.2 port \d+ closed "
                            r"before login: " + SIGSYS_DEATH) is not None,
               "the master logs that its worker was killed by SIGSYS")
        unharmed(d, a, b, broker, authd, "an attack before the hello")
        stop(d, a, b)
    finally:
        d.cleanup()
        if tap.failed:
            tap.diag("\n".join(d.log.all if d.log else []))


if not built_with(HOOK.encode(), SECCHATD):
    tap.skip("planted code", "built without --enable-test-hooks")
elif not built_with(b"#define HAVE_SECCOMP 1",
                    os.path.join(BUILDDIR, "config.h")):
    tap.skip("planted code", "built --without-seccomp")
else:
    hostile_after_login()
    hostile_before_hello()
tap.done()
