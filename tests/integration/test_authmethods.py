"""Key login on the server (doc/protocol.md 11.1, 11.3): the hello's
capability, AUTH_KEY answered by AUTH_OK, AUTH_MORE or AUTH_FAIL, a wrong
proof counted as a failed login and an unenrolled key not, accounts
without a password, AuthenticationMethods with Match User blocks, keys
enrolled while the daemon runs, and a server acting as version 1."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, MSG, ProtocolClosed, parse_str,  # noqa
                     _x25519, SECCHATD)
from extclient import ExtClient, EXT_MSG, enroll, fingerprint  # noqa

tap = Tap()


def answer(m):
    """(name, byte or None, text) of AUTH_OK, AUTH_FAIL, AUTH_MORE, BYE."""
    if m is None:
        return None
    if m[0] == MSG["AUTH_OK"]:
        return ("AUTH_OK", None, parse_str(m, 1)[0])
    if m[0] == MSG["AUTH_FAIL"]:
        return ("AUTH_FAIL", m[1], parse_str(m, 2)[0])
    if m[0] == EXT_MSG["AUTH_MORE"]:
        return ("AUTH_MORE", None, parse_str(m, 1)[0])
    if m[0] == MSG["BYE"]:
        return ("BYE", None, parse_str(m, 1)[0])
    return ("?", m[0], "")


def key_login(d, user, priv, **kw):
    c = ExtClient(d.port)
    try:
        return c, answer(c.key_login(user, priv, **kw))
    except (ProtocolClosed, OSError, ValueError):
        return c, None


CONF = ("Match User bob\n"
        "\tAuthenticationMethods publickey,password\n"
        "Match User carol,erin\n"
        "\tAuthenticationMethods publickey\n")

ka, kb, kc, kd, stranger = (_x25519() for _ in range(5))
d = Daemon(extra_conf=CONF)
try:
    enroll(d, "alice", ka)
    enroll(d, "bob", kb)
    enroll(d, "dave", kd)    # a new account: no password ("*")
    with open(d.users) as f:
        users = f.read()
    tap.ok("\ndave:*:key=" in users, "secchat-passwd key add makes an "
           "account without a password")

    r = subprocess.run([d.secchatd, "-T", "-f", d.conf],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 0 and
           "authenticationmethods password publickey\n" in r.stdout and
           "match user bob\n\tauthenticationmethods publickey,password\n"
           in r.stdout and "match user carol,erin\n\tauthentication"
           "methods publickey\n" in r.stdout,
           "secchatd -T prints AuthenticationMethods and the Match blocks")

    d.start()

    c, a = key_login(d, "alice", ka)
    tap.ok(c.extended, "the server agrees to capability 0x81")
    tap.ok(a == ("AUTH_OK", None, "alice"), "an enrolled key logs alice in "
           "without a password: %r" % (a,))
    tap.ok(d.log.wait_seen(r"Accepted publickey for alice from 127\.0\.0\.1 "
                           r"port \d+ key " + fingerprint(ka).replace(
                               "+", r"\+")),
           "logged: Accepted publickey for alice ... key SHA256:...")
    c.close()

    c, a = key_login(d, "alice", stranger)
    tap.ok(a == ("AUTH_FAIL", 3, "key not accepted"),
           "an unenrolled key: AUTH_FAIL(3, key not accepted): %r" % (a,))
    c.send_auth("alice", "alice-pw")
    a2 = answer(c.recv_msg())
    tap.ok(a2 == ("AUTH_OK", None, "alice"),
           "then the password logs in: %r" % (a2,))
    tap.ok(d.log.wait_seen(r"Refused key for alice from .* key SHA256:\S+: "
                           r"not enrolled"), "logged: Refused key ...: "
           "not enrolled")
    c.close()

    c, a = key_login(d, "alice", ka, bad_proof=True)
    tap.ok(a == ("AUTH_FAIL", 2, "key not accepted"),
           "a wrong proof counts as a failed login: AUTH_FAIL(2): %r" % (a,))
    tap.ok(d.log.wait_seen(r"Refused key for alice from .*: wrong proof"),
           "logged: Refused key ...: wrong proof")
    try:
        c.send_msg(bytes([EXT_MSG["AUTH_KEY"]]) + b"\0\5alice\0\x20" +
                   b"\0" * 32)
        gone = answer(c.recv_msg())
    except (ProtocolClosed, OSError, ValueError):
        gone = None
    tap.ok(gone is None or gone[0] == "BYE",
           "a second AUTH_KEY on a connection ends it: %r" % (gone,))
    c.close()

    c, a = key_login(d, "alice", ka, proof_user="bob")
    tap.ok(a is not None and a[0] == "AUTH_FAIL",
           "a proof made for another user name is wrong: %r" % (a,))
    c.close()

    c, a = key_login(d, "bob", kb)
    tap.ok(a == ("AUTH_MORE", None, "password"),
           "publickey,password: AUTH_MORE(password): %r" % (a,))
    c.send_auth("bob", "bob-pw")
    a2 = answer(c.recv_msg())
    tap.ok(a2 == ("AUTH_OK", None, "bob"),
           "then the password completes it: %r" % (a2,))
    tap.ok(d.log.wait_seen(r"Accepted publickey,password for bob from"),
           "logged: Accepted publickey,password for bob")
    c.close()

    c, a = key_login(d, "bob", kb)
    c.send_auth("bob", "wrong")
    a2 = answer(c.recv_msg())
    tap.ok(a2 is not None and a2[0] == "AUTH_FAIL" and
           a2[2] == "invalid user name or password",
           "a wrong password after the key: AUTH_FAIL: %r" % (a2,))
    c.close()

    c = ExtClient(d.port)
    a = answer(c.password_login("bob", "bob-pw"))
    tap.ok(a == ("AUTH_FAIL", 2, "invalid user name or password"),
           "bob's right password alone is refused like a wrong one: %r" %
           (a,))
    c.close()

    c = ExtClient(d.port)
    a = answer(c.password_login("dave", "anything"))
    tap.ok(a == ("AUTH_FAIL", 2, "invalid user name or password"),
           "an account without a password refuses every password")
    c.close()
    c, a = key_login(d, "dave", kd)
    tap.ok(a == ("AUTH_OK", None, "dave"), "and takes its key: %r" % (a,))
    c.close()

    # carol: publickey only, and no key yet.
    c = ExtClient(d.port)
    a = answer(c.password_login("carol", "carol-pw"))
    tap.ok(a is not None and a[0] == "AUTH_FAIL",
           "publickey only: carol's password is refused")
    c.close()
    c, a = key_login(d, "carol", kc)
    tap.ok(a == ("AUTH_FAIL", 3, "key not accepted"),
           "carol's key before it is enrolled: %r" % (a,))
    c.close()
    enroll(d, "carol", kc)
    d.log.drain()
    d.signal(signal.SIGHUP)
    tap.ok(d.log.expect(r"users file .*: \d+ users"),
           "the daemon reads the users file again")
    c, a = key_login(d, "carol", kc)
    tap.ok(a == ("AUTH_OK", None, "carol"),
           "a key enrolled while the daemon runs logs in: %r" % (a,))
    c.close()

    # A client that does not offer the capability cannot send AUTH_KEY.
    c = ExtClient(d.port)
    c.hello(cap=False)
    tap.ok(not c.extended, "no capability offered: a version 1 hello")
    c.close()

    # Locked: the key no longer logs in.
    subprocess.run([d.passwd, "-f", d.users, "lock", "alice"], check=True,
                   capture_output=True)
    d.log.drain()
    d.signal(signal.SIGHUP)
    d.log.expect(r"users file .*: \d+ users")
    c, a = key_login(d, "alice", ka)
    tap.ok(a == ("AUTH_FAIL", 3, "key not accepted"),
           "a locked account's key is not accepted: %r" % (a,))
    c.close()
finally:
    d.cleanup()

# A server acting as protocol version 1 (a hook only test builds have).
with open(SECCHATD, "rb") as f:
    HOOKS = b"SECCHAT_TEST_NO_EXTENSIONS" in f.read()
if not HOOKS:
    tap.skip("a server acting as protocol version 1",
             "secchatd built without test hooks")
    tap.done()
os.environ["SECCHAT_TEST_NO_EXTENSIONS"] = "1"
d = Daemon()
try:
    enroll(d, "alice", ka)
    d.start()
    c = ExtClient(d.port)
    c.hello()
    tap.ok(c.suite != 0 and not c.extended and len(c.server_hello) == 9,
           "SECCHAT_TEST_NO_EXTENSIONS: the capability is not agreed to")
    c.close()
    c, a = key_login(d, "alice", ka)
    tap.ok(a is None or a[0] == "BYE",
           "AUTH_KEY to a version 1 server ends the session: %r" % (a,))
    c.close()
    c = ExtClient(d.port)
    a = answer(c.password_login("alice", "alice-pw"))
    tap.ok(a == ("AUTH_OK", None, "alice"), "a password still logs in")
    c.close()
finally:
    del os.environ["SECCHAT_TEST_NO_EXTENSIONS"]
    d.cleanup()

tap.done()
