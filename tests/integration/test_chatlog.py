"""Conversation logs (-o Log=yes, -o LogDir=DIR): off by default; a room's
messages in DIR/HOST/ROOM.log and a peer's private ones in
DIR/HOST/@PEER.log, marked as not end-to-end; files 0600 in directories
0700; a peer's escape sequences never reach the file raw."""

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, wait_for  # noqa: E402

tap = Tap()
d = Daemon()

try:
    d.start()
    host = "127.0.0.1_%d" % d.port
    # Off by default.
    plain = Client(d, "carol", "carol-pw", extra=["-F", "none"])
    plain.out.expect(r" login carol$")
    # Log=yes: under ~/.local/share/secchat/logs.
    alice = Client(d, "alice", "alice-pw", extra=["-F", "none",
                                                  "-o", "Log=yes"])
    alice.out.expect(r" login alice$")
    bob = Client(d, "bob", "bob-pw", extra=["-F", "none"])
    bob.out.expect(r" login bob$")
    bob.send("hello\x1b[2J\x1b]0;owned\x07 there")
    bob.send("/plainmsg alice a secret\x1b[31m")
    alice.out.expect(r" private bob ")
    plain.out.expect(r" message lobby bob hello")
    top = os.path.join(alice.home, ".local", "share", "secchat", "logs")
    base = os.path.join(top, host)
    room = os.path.join(base, "lobby.log")
    peer = os.path.join(base, "@bob.log")
    tap.ok(wait_for(lambda: os.path.exists(room) and os.path.exists(peer)),
           "the room's and the peer's logs are written")
    for path, mode in ((top, 0o700), (base, 0o700), (room, 0o600),
                       (peer, 0o600)):
        m = stat.S_IMODE(os.stat(path).st_mode)
        tap.ok(m == mode, "%s is mode %o (got %o)" %
               (os.path.relpath(path, alice.home), mode, m))
    with open(room, "rb") as f:
        data = f.read()
    tap.diag("lobby.log: %r" % data)
    tap.ok(b"\x1b" not in data and b"\x07" not in data,
           "no raw ESC or BEL in the room's log")
    tap.ok(b"<bob> hello" in data and b"there\n" in data,
           "the message is one line, with its sender")
    tap.ok(data[:4].isdigit() and b"Z <bob>" in data,
           "it starts with an ISO time")
    with open(peer, "rb") as f:
        data = f.read()
    tap.diag("@bob.log: %r" % data)
    tap.ok(b"\x1b" not in data, "no raw ESC in the peer's log")
    tap.ok(b"[NOT end-to-end] <bob> a secret" in data,
           "a private message is marked as not end-to-end")
    carol_logs = os.path.join(plain.home, ".local", "share", "secchat")
    tap.ok(not os.path.exists(carol_logs), "no logs without Log=yes")

    # LogDir=DIR
    logdir = os.path.join(d.dir, "mylogs")
    dave = Client(d, "carol", "carol-pw", home=os.path.join(d.dir, "c2"),
                  extra=["-F", "none", "-o", "LogDir=" + logdir])
    dave.out.expect(r" login carol$")
    bob.send("second")
    dave.out.expect(r" message lobby bob second$")
    p = os.path.join(logdir, host, "lobby.log")
    tap.ok(wait_for(lambda: os.path.exists(p)), "LogDir=DIR: DIR/HOST/ROOM.log")
    for c in (alice, bob, plain, dave):
        c.close_stdin()
    for c in (alice, bob, plain, dave):
        c.wait()
finally:
    d.cleanup()
tap.done()
