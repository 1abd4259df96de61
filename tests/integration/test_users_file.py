"""The daemon and a users file with a bad line: passlib's longest hashes
are accounts like any other; at start a bad line is left out, named by file
and line, and the other accounts log in; on SIGHUP a file with a bad line
is not used and the accounts read before stay."""

import base64
import hashlib
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, RawClient, MSG  # noqa: E402

tap = Tap()


def pbkdf2_hash(password, salt_size):
    """A $pbkdf2-sha256$ hash as passlib writes it (by passlib when it is
    installed), at 1000 rounds so that the test stays cheap."""
    try:
        from passlib.hash import pbkdf2_sha256
        return pbkdf2_sha256.using(salt_size=salt_size,
                                   rounds=1000).hash(password)
    except ImportError:
        salt = os.urandom(salt_size)
        dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)

        def ab64(b):
            return base64.b64encode(b).decode().rstrip("=").replace("+", ".")
        return "$pbkdf2-sha256$1000$%s$%s" % (ab64(salt), ab64(dk))


def login(d, user, password):
    """AUTH_OK or AUTH_FAIL for one attempt on a new connection."""
    c = RawClient(d.port)
    try:
        return c.login(user, password)[0]
    finally:
        c.close()


def users_lines(d):
    with open(d.users) as f:
        return f.read().splitlines()


def write_users(d, lines):
    with open(d.users, "w") as f:
        f.write("".join(line + "\n" for line in lines))


d = Daemon(users=(("alice", "alice-pw"), ("bob", "bob-pw")))
try:
    long_hash = pbkdf2_hash("long-pw", 1024)
    tap.ok(len(long_hash) > 1400,
           "passlib's hash with a 1024-byte salt has %d characters" %
           len(long_hash))
    lines = users_lines(d)          # alice and bob, lines 1 and 2
    lines.append("longsalt:" + long_hash)                   # line 3
    lines.append("Mallory:" + pbkdf2_hash("mallory-pw", 16))  # 4: bad name
    write_users(d, lines)
    where = re.escape("users file %s: " % d.users)

    d.start()
    tap.ok(d.log.wait_seen(where + r"line 4: invalid user name; 1 bad "
                           r"line left out, 3 users"),
           "at start the bad line is reported with file and line")
    tap.ok(login(d, "alice", "alice-pw") == MSG["AUTH_OK"],
           "alice logs in although line 4 is bad")
    tap.ok(login(d, "longsalt", "long-pw") == MSG["AUTH_OK"],
           "the account with passlib's 1024-byte salt logs in")
    tap.ok(login(d, "longsalt", "wrong-pw") == MSG["AUTH_FAIL"],
           "...and only with its password")

    # A reload with a new bad line keeps the accounts read before.
    lines.append("dave:" + pbkdf2_hash("dave-pw", 16))       # line 5
    lines.append("erin:")                                    # 6: no hash
    write_users(d, lines)
    d.signal(signal.SIGHUP)
    tap.ok(d.log.expect(where + r"line 4: invalid user name; line 6: "
                        r"invalid password hash; file not used, keeping "
                        r"the 3 users read before"),
           "SIGHUP: the bad lines are reported, the old accounts kept")
    tap.ok(login(d, "dave", "dave-pw") == MSG["AUTH_FAIL"],
           "dave, added in the file that was not used, cannot log in")
    tap.ok(login(d, "bob", "bob-pw") == MSG["AUTH_OK"],
           "bob still logs in")

    # Fixed, the file is used again.
    write_users(d, [l for l in lines if not l.startswith(("Mallory:",
                                                           "erin:"))])
    d.signal(signal.SIGHUP)
    tap.ok(d.log.expect(where + r"4 users$"),
           "SIGHUP after the fix: 4 users")
    tap.ok(login(d, "dave", "dave-pw") == MSG["AUTH_OK"], "dave logs in")
    tap.ok(login(d, "longsalt", "long-pw") == MSG["AUTH_OK"],
           "longsalt still logs in")
    tap.ok(not d.log.seen(r"\$pbkdf2-sha256\$"), "no hash in the log")
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
