"""secchat-passwd: accounts are added, changed, locked and removed; the
daemon picks changes up on SIGHUP; a crash in the middle of an update
leaves the users file intact."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, RawClient, MSG, PASSWD  # noqa: E402

tap = Tap()
d = Daemon(users=())


def pw(*args, stdin=None, env=None):
    return subprocess.run([PASSWD, "-f", d.users] + list(args),
                          input=stdin, capture_output=True, text=True,
                          env=env)


def can_login(user, password):
    r = RawClient(d.port)
    try:
        m = r.login(user, password)
        return m[0] == MSG["AUTH_OK"]
    finally:
        r.close()


try:
    r = pw("-s", "add", "alice", stdin="alice-pw\n")
    tap.ok(r.returncode == 0, "add alice (argon2id, the default)")
    tap.ok(os.stat(d.users).st_mode & 0o777 == 0o600,
           "the users file is created with mode 0600")
    tap.ok(open(d.users).read().startswith("alice:$argon2id$"),
           "alice's hash is Argon2id")
    r = pw("-s", "-a", "pbkdf2-sha256", "add", "bob", stdin="bob-pw\n")
    tap.ok(r.returncode == 0 and "bob:$pbkdf2-sha256$600000$" in
           open(d.users).read(), "add bob with $pbkdf2-sha256$, 600000 rounds")
    r = pw("-s", "add", "Bad:Name", stdin="x\n")
    tap.ok(r.returncode != 0 and "lowercase" in r.stderr,
           "a bad user name is refused with the rule stated")
    r = pw("-s", "add", "alice", stdin="again\n")
    tap.ok(r.returncode != 0, "adding an existing user fails")
    r = pw("list")
    tap.ok(r.returncode == 0 and "alice" in r.stdout and "bob" in r.stdout,
           "list shows both")

    d.start()
    tap.ok(can_login("alice", "alice-pw"), "alice logs in (Argon2id)")
    tap.ok(can_login("bob", "bob-pw"), "bob logs in (PBKDF2)")
    pw("lock", "bob")
    d.signal(signal.SIGHUP)
    d.log.expect(r"users file")
    tap.ok(not can_login("bob", "bob-pw"), "a locked account cannot log in")
    pw("unlock", "bob")
    pw("-s", "passwd", "alice", stdin="new-alice-pw\n")
    d.signal(signal.SIGHUP)
    d.log.expect(r"users file")
    tap.ok(can_login("bob", "bob-pw"), "unlocked, bob logs in again")
    tap.ok(can_login("alice", "new-alice-pw") and
           not can_login("alice", "alice-pw"), "alice's new password works, "
           "the old one does not")

    # Kill secchat-passwd after it wrote the temporary file.
    with open(PASSWD, "rb") as f:
        hooked = b"SECCHAT_PASSWD_TEST_PAUSE" in f.read()
    if not hooked:
        tap.skip("crash in the middle of an update",
                 "built without --enable-test-hooks")
    else:
        before = open(d.users, "rb").read()
        env = dict(os.environ, SECCHAT_PASSWD_TEST_PAUSE="1")
        p = subprocess.Popen([PASSWD, "-f", d.users, "-s", "add", "carol"],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
        p.stdin.write(b"carol-pw\n")
        p.stdin.close()
        line = p.stderr.readline()
        tap.ok(b"paused" in line, "secchat-passwd pauses after writing the "
               "temporary file")
        tmp = d.users + ".tmp"
        tap.ok(os.path.exists(tmp) and b"carol" in open(tmp, "rb").read(),
               "the temporary file holds the new contents")
        p.send_signal(signal.SIGKILL)
        p.wait()
        tap.ok(open(d.users, "rb").read() == before,
               "after SIGKILL the users file is byte for byte as before")
        r = pw("list")
        tap.ok(r.returncode == 0 and "carol" not in r.stdout,
               "and it still parses")
        r = pw("-s", "add", "carol", stdin="carol-pw\n")
        tap.ok(r.returncode == 0 and "carol" in pw("list").stdout,
               "the next update succeeds")
        tap.ok(os.stat(d.users).st_mode & 0o777 == 0o600,
               "the mode is still 0600")
    # A users file of some size: 200 accounts sharing bob's hash.  (The
    # checker's sort of them once made a system call its sandbox forbade.)
    lines = open(d.users).read().splitlines()
    bobhash = [l for l in lines if l.startswith("bob:")][0].split(":", 1)[1]
    with open(d.users, "a") as f:
        for i in range(200):
            f.write("many%d:%s\n" % (i, bobhash))
    d.signal(signal.SIGHUP)
    m = d.log.expect(r"users file .*: (\d+) users")
    tap.ok(m is not None and int(m.group(1)) == len(lines) + 200,
           "SIGHUP loads a users file of %d accounts" % (len(lines) + 200))
    tap.ok(can_login("many199", "bob-pw"), "the last of them logs in")
    r = pw("del", "bob")
    d.signal(signal.SIGHUP)
    d.log.expect(r"users file")
    tap.ok(r.returncode == 0 and not can_login("bob", "bob-pw"),
           "a deleted user cannot log in after SIGHUP")
    # A FIFO in place of the users file must not hang the master on SIGHUP.
    os.rename(d.users, d.users + ".real")
    os.mkfifo(d.users, 0o600)
    d.signal(signal.SIGHUP)
    tap.ok(d.log.expect(r"users file: .*not a regular file") is not None,
           "a FIFO as users file is refused on SIGHUP")
    tap.ok(can_login("alice", "new-alice-pw"),
           "the daemon still answers, with the accounts it had")
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
