"""A taken-over worker breaking the rules of what it may ask the master:
each broken request (a second DH, a short DH, an unknown type, a type only
the master sends, a message for another session, a descriptor) gets that
worker killed, with the reason in the log, before any handler acts on it;
other users go on logging in.  The misbehaviour is planted code that runs
at the worker's start in test builds (SECCHAT_TEST_WORKER_HOOK), for
clients from 127.0.0.2 only.  Then a logged-in worker hands the broker a
message naming another sender, and a worker claims a key login as alice
with her public key (which the key directory hands to anyone) but without
her private key: the master, which alone holds the host key the proof is
checked with, refuses."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, ProtocolClosed,  # noqa
                     SECCHATD, _x25519, _pub)
import base64
import subprocess

tap = Tap()
with open(SECCHATD, "rb") as f:
    HOOKS = b"secchat-test-hook:ipc-second-dh" in f.read()

CASES = [
    ("ipc-second-dh", r"request not allowed now"),
    ("ipc-short-dh", r"malformed payload"),
    ("ipc-unknown", r"unknown message type"),
    ("ipc-wrong-way", r"message type not allowed on this channel"),
    ("ipc-other-session", r"message for another session"),
    ("ipc-descriptor", r"sent a descriptor it may not send"),
]

if not HOOKS:
    tap.skip("workers that break the request rules", "no test hooks")
    tap.done()

for hook, why in CASES:
    os.environ["SECCHAT_TEST_WORKER_HOOK"] = hook + "@127.0.0.2"
    d = Daemon(users=[("alice", "alice-pw")])
    try:
        d.start()
        del os.environ["SECCHAT_TEST_WORKER_HOOK"]
        try:
            r = RawClient(d.port, source="127.0.0.2", timeout=10)
            r.hello()
            r.handshake(bytes([MSG["AUTH"]]) + b"\x00\x05alice\x00\x08"
                        b"alice-pw")
            got = r.recv_msg()
        except (ProtocolClosed, OSError, ValueError):
            got = None
        tap.ok(got is None or got[0] != MSG["AUTH_OK"],
               "%s: the connection gets nowhere" % hook)
        m = d.log.expect(r"session \d+ \(127\.0\.0\.2 port \d+\): %s; "
                         r"killing worker" % why)
        tap.ok(m is not None, "%s: the master kills the worker (%s)" %
               (hook, why))
        r2 = RawClient(d.port)
        ok = r2.login("alice", "alice-pw")
        tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
               "%s: another user logs in" % hook)
        r2.close()
    finally:
        os.environ.pop("SECCHAT_TEST_WORKER_HOOK", None)
        d.cleanup()

# A logged-in worker hands the broker a server's MESSAGE naming bob as
# its sender: the broker refuses what no client sends, ends that session,
# and nobody sees the forged line.
d = Daemon()
try:
    d.start()
    bob = RawClient(d.port)
    bob.login("bob", "bob-pw")
    carol = RawClient(d.port)
    carol.login("carol", "carol-pw")
    carol.say("lobby", "secchat-test-hook:forge-sender")
    seen_forged = False
    departed = None
    try:
        while departed is None:
            m = bob.recv_msg()
            if b"forged by a worker" in m:
                seen_forged = True
            if m[0] == MSG["DEPARTED"] and b"carol" in m:
                departed = m
    except (ProtocolClosed, OSError, ValueError):
        pass
    tap.ok(departed is not None, "the forging session is ended: bob sees "
           "carol depart")
    tap.ok(not seen_forged, "and never sees the forged line")
    bob.say("lobby", "still here")
    alice = RawClient(d.port)
    ok = alice.login("alice", "alice-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
           "the others go on: a new login works")
    for c in (bob, carol, alice):
        c.close()
finally:
    d.cleanup()

# A worker that claims alice's enrolled key without her private key.
alice_key = _pub(_x25519())
alice_b64 = base64.b64encode(alice_key).decode()
os.environ["SECCHAT_TEST_WORKER_HOOK"] = "forge-keylogin@127.0.0.2"
os.environ["SECCHAT_TEST_FORGE_KEY"] = alice_b64
d = Daemon(users=[("alice", "alice-pw"), ("bob", "bob-pw")])
try:
    r = subprocess.run([d.passwd, "-f", d.users, "key", "add", "alice",
                        "secchat-x25519 " + alice_b64 + " alice@laptop"],
                       capture_output=True)
    tap.ok(r.returncode == 0, "alice's key is enrolled")
    d.start()
    del os.environ["SECCHAT_TEST_WORKER_HOOK"]
    try:
        r = RawClient(d.port, source="127.0.0.2", timeout=10)
        r.hello()
        got = r.recv_frame()
    except (ProtocolClosed, OSError, ValueError):
        got = None
    m = d.log.expect(r"Refused key for alice from 127\.0\.0\.2 port \d+ "
                     r"key SHA256:\S+: wrong proof")
    tap.ok(m is not None, "the master refuses the made-up proof "
           "(%s)" % (m.group(0) if m else "no such line"))
    tap.ok(not d.log.seen(r"Accepted publickey for alice"),
           "alice is not logged in by the worker's word")
    bob = RawClient(d.port)
    ok = bob.login("bob", "bob-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
           "the others go on: bob logs in")
    bob.send_msg(bytes([MSG["WHO"]]) + b"\x00\x05lobby")
    names = bob.recv_until(MSG["NAMES"])
    tap.ok(names is not None and b"alice" not in names,
           "and alice is in no room")
    bob.close()
finally:
    os.environ.pop("SECCHAT_TEST_WORKER_HOOK", None)
    os.environ.pop("SECCHAT_TEST_FORGE_KEY", None)
    d.cleanup()

tap.done()
