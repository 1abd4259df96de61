"""The orderly close (doc/protocol.md 7.6): a client that sends requests
and BYE together still gets every answer, in order, before the server
closes the connection; the real client waits for them and its exit status
says whether everything it sent went through."""

import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, ProtocolClosed,  # noqa
                     MSG, SECCHAT, WAIT, wstr, parse_str)

tap = Tap()


def record(rc, body):
    ct = rc.tx.encrypt(b"", body)
    return struct.pack(">H", len(ct)) + ct


def until_closed(rc):
    """Every message up to the server's close, as (type, body)."""
    got = []
    try:
        while True:
            m = rc.recv_msg()
            got.append((m[0], m))
    except ProtocolClosed:
        pass
    return got


def raw_login(d, user, pw):
    rc = RawClient(d.port)
    m = rc.login(user, pw)
    assert m[0] == MSG["AUTH_OK"], m
    rc.recv_until(MSG["NAMES"])
    return rc


def pipe_client(d, home, lines, extra=()):
    """secchat in pipe mode with the password and lines on stdin."""
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, XDG_CONFIG_HOME=home, HOME=home)
    args = [SECCHAT, "-p", str(d.port), "-u", "alice", "-o",
            "PasswordFd=0", "-o", "StrictHostKeyChecking=accept-new"]
    args += list(extra) + ["127.0.0.1"]
    data = ("alice-pw\n" + "".join(l + "\n" for l in lines)).encode()
    try:
        r = subprocess.run(args, input=data, capture_output=True, env=env,
                           timeout=4 * WAIT)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))


d = Daemon()
try:
    d.start()
    bob = Client(d, "bob", "bob-pw")
    tap.ok(bob.out.expect(r" login bob$") is not None, "bob logs in")

    # Requests and BYE in one segment: the worker reads them in one go.
    rc = raw_login(d, "alice", "alice-pw")
    bob.out.expect(r" arrived lobby alice$")
    burst = (record(rc, bytes([MSG["WHO"]]) + wstr("lobby")) +
             record(rc, bytes([MSG["ROOMS"]])) +
             record(rc, bytes([MSG["JOIN"]]) + wstr("side")) +
             record(rc, bytes([MSG["WHO"]]) + wstr("nowhere")) +
             record(rc, bytes([MSG["BYE"]]) + wstr("exit")))
    rc.sock.sendall(burst)
    got = until_closed(rc)
    types = [t for t, _ in got]
    tap.diag("after BYE: %s" % ["0x%02x" % t for t in types])
    want = [MSG["NAMES"], MSG["ROOMLIST"], MSG["JOINED"], MSG["NAMES"],
            MSG["ERROR"]]
    tap.ok([t for t in types if t in want] == want,
           "every answer to the requests sent with BYE arrives, in order, "
           "before the close")
    tap.ok(MSG["BYE"] not in types, "the server closes without a BYE of "
           "its own (as before)")
    tap.ok(bob.out.expect(r" departed lobby alice quit$") is not None,
           "the others see the user quit")
    rc.close()

    # Something after BYE (a PONG, say, to a PING that crossed it) is
    # ignored, and the answers still arrive.
    rc = raw_login(d, "alice", "alice-pw")
    bob.out.expect(r" arrived lobby alice$")
    rc.sock.sendall(record(rc, bytes([MSG["ROOMS"]])) +
                    record(rc, bytes([MSG["BYE"]]) + wstr("gone home")) +
                    record(rc, bytes([MSG["PONG"]]) + b"\0" * 8))
    types = [t for t, _ in until_closed(rc)]
    tap.ok(MSG["ROOMLIST"] in types,
           "a record after BYE does not cost the answers before it")
    tap.ok(bob.out.expect(r" departed lobby alice quit: gone home$")
           is not None, "a BYE's reason reaches the others")
    rc.close()

    # The real client: replies to the last lines arrive, exit status 0.
    home = os.path.join(d.dir, "home-pipe")
    rcode, out, err = pipe_client(d, home, ["/who", "/rooms"])
    tap.diag(out + err)
    tap.ok(len([l for l in out.splitlines() if " names lobby " in l]) == 2,
           "pipe mode: the answer to /who at the end of input is shown")
    tap.ok(any(" rooms lobby:" in l for l in out.splitlines()),
           "pipe mode: the answer to /rooms at the end of input is shown")
    tap.ok(rcode == 0, "pipe mode: exit status 0 when everything went "
           "through (got %s)" % rcode)

    # A request the server refuses makes the exit status 8.
    rcode, out, err = pipe_client(d, home, ["/plainmsg nobody hi", "/who"])
    tap.diag(out + err)
    tap.ok(any(" error 3 " in l for l in out.splitlines()),
           "pipe mode: the server's error is shown")
    tap.ok(rcode == 8, "pipe mode: exit status 8 when the server refused "
           "a request (got %s)" % rcode)
    tap.ok("1 request" in err or "not delivered" in err or "failed" in err,
           "pipe mode: standard error says something failed")
    bob.send("exit")
    bob.wait()
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))

# A backlog behind flood control: the client waits while the server works
# through it, and every answer arrives.
d = Daemon(extra_conf="FloodBurst 1\nFloodRate 4\n")
try:
    d.start()
    home = os.path.join(d.dir, "home-pipe")
    n = 24
    rcode, out, err = pipe_client(d, home, ["/who"] * n)
    got = len([l for l in out.splitlines() if " names lobby " in l])
    tap.diag(err)
    tap.ok(got == n + 1, "a backlog of %d requests is answered in full "
           "before the client exits (got %d of %d)" % (n, got - 1, n))
    tap.ok(rcode == 0, "and the exit status is 0 (got %s)" % rcode)
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
