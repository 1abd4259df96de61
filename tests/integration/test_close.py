"""The orderly close (doc/protocol.md 7.6): a client that sends requests
and BYE together still gets every answer, in order, before the server
closes the connection."""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, ProtocolClosed,  # noqa
                     MSG, wstr)

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

    bob.send("exit")
    bob.wait()
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))

tap.done()
