"""Login with an enrolled key (doc/protocol.md 11.3).

`secchat -K` prints the identity's public line and `secchat-passwd key
add` enrolls it; then, with the default AuthenticationMethods, the client
logs in with no password at all.  "AuthenticationMethods publickey"
refuses an unenrolled key and a password alone; a "Match User" block
asking for "publickey,password" wants both.  The password never reaches
the daemon in a key login (as root, its processes' memory is searched).
An identity with a passphrase (`secchat -N`) opens only with it.  The
master logs "Accepted publickey for USER" and "Refused key for USER".
"""

import base64
import os
import re
import secrets
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, Lines, RawClient, MSG,  # noqa
                     SECCHAT, IS_ROOT, WAIT, WRAP, key_fingerprint,
                     process_titles, scan_memory, wait_for, wstr)

tap = Tap()
PW = {"alice": "alice-" + secrets.token_hex(12),
      "bob": "bob-" + secrets.token_hex(12),
      "carol": "carol-" + secrets.token_hex(12)}
USERS = tuple(PW.items())
LINE_RX = r"secchat-x25519 ([A-Za-z0-9+/]{43}=)( .*)?"


def env_for(home):
    return dict(os.environ, XDG_CONFIG_HOME=home, HOME=home)


def run(args, home, pass_fds=(), input_=None):
    r = subprocess.run(args, input=input_,
                       stdin=None if input_ is not None else
                       subprocess.DEVNULL, capture_output=True,
                       env=env_for(home), timeout=WAIT, pass_fds=pass_fds,
                       start_new_session=True)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def identity(d, name):
    """A new identity made as a first run makes it; returns (home, path,
    the public line, the key)."""
    home = os.path.join(d.dir, "home-" + name)
    os.makedirs(home, exist_ok=True)
    rc, out, err = run([SECCHAT, "-K"], home)
    m = re.fullmatch(LINE_RX + "\n", out)
    if rc != 0 or not m:
        raise RuntimeError("secchat -K: %d %r %r" % (rc, out, err))
    return (home, os.path.join(home, "secchat", "identity"), out.strip(),
            base64.b64decode(m.group(1)))


def passwd(d, *args, input_=None):
    r = subprocess.run([d.passwd, "-f", d.users] + list(args),
                       input=input_, capture_output=True, timeout=WAIT)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def phrase_fd(text):
    """A pipe's read end holding one line."""
    r, w = os.pipe()
    os.write(w, (text + "\n").encode())
    os.close(w)
    return r


class KeyClient(Client):
    """A pipe-mode secchat with an identity file, a password file only if
    given, and no controlling terminal, so that it cannot ask anyone."""

    def __init__(self, d, user, dev, password=None, extra=(), pass_fds=()):
        self.home = dev[0]
        args = [SECCHAT, "-p", str(d.port), "-u", user, "-i", dev[1],
                "-o", "StrictHostKeyChecking=accept-new"]
        if password is not None:
            pwfile = os.path.join(self.home, "password-" + user)
            with open(pwfile, "w") as f:
                f.write(password + "\n")
            os.chmod(pwfile, 0o600)
            args += ["-P", pwfile]
        args += list(extra) + ["127.0.0.1"]
        self.proc = subprocess.Popen(
            WRAP + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env_for(self.home),
            pass_fds=pass_fds, start_new_session=True)
        self.out = Lines(self.proc.stdout, user + ".out")
        self.err = Lines(self.proc.stderr, user + ".err")


def logs_in(c, user):
    return c.out.expect(r" login %s$" % user) is not None


def refused(c, user):
    """The client ends without logging in; its status and stderr."""
    rc = c.wait()
    if rc is None:
        c.kill()
    return (rc not in (None, 0) and not c.out.seen(r" login %s$" % user),
            rc, "\n".join(c.err.all))


def leave(c):
    c.send("exit")
    if c.wait() is None:
        c.kill()


# ------------------------------------------------------------ default methods

def default_methods():
    d = Daemon(users=USERS)
    try:
        adev = identity(d, "alice")
        cdev = identity(d, "carol")
        rc, out, err = run([SECCHAT, "-K", "-i", adev[1]], adev[0])
        tap.ok(rc == 0 and re.fullmatch(LINE_RX + "\n", out) and
               out.strip() == adev[2],
               "secchat -K -i KEY prints one line, secchat-x25519 BASE64 "
               "...: %r" % out)
        rc, out, err = passwd(d, "key", "add", "alice", adev[2])
        tap.ok(rc == 0, "secchat-passwd key add alice LINE (%s)" %
               err.strip())
        rc2, _, _ = passwd(d, "key", "add", "carol", input_=(
            cdev[2] + "\n").encode())
        rc, out, err = passwd(d, "key", "list", "alice")
        want = "%s %s" % (key_fingerprint(adev[3]),
                          base64.b64encode(adev[3]).decode())
        tap.ok(rc == 0 and out.splitlines() == [want],
               "key list shows it as SHA256:... BASE64: %r" % out)
        tap.ok(rc2 == 0, "key add reads the line from standard input too")
        d.start()

        # 2. No password at all.
        a = KeyClient(d, "alice", adev)
        tap.ok(logs_in(a, "alice"), "alice's enrolled key logs her in with "
               "no password given and no terminal")
        # 7.
        tap.ok(d.log.wait_seen(r"Accepted publickey for alice from "
                               r"127\.0\.0\.1 port \d+ key %s$" %
                               re.escape(key_fingerprint(adev[3]))),
               "the master logs \"Accepted publickey for alice from ... key "
               "SHA256:...\"")
        tap.ok(not d.log.seen(r"Accepted login for alice"),
               "and no password login")
        leave(a)

        # 5. The password never reaches the daemon in a key login.
        if not IS_ROOT:
            tap.skip("the daemon's memory holds no password of a key login",
                     "needs root to read the non-dumpable children's "
                     "memory")
        else:
            a = KeyClient(d, "alice", adev, password=PW["alice"])
            tap.ok(logs_in(a, "alice"), "alice logs in by key, with her "
                   "password file given too")
            workers = [p for p, c in d.children()
                       if c.startswith("secchatd: worker") and
                       c.endswith(" alice")]
            pids = [d.pid()] + [p for p, _ in d.children()]
            hits, unread = scan_memory(pids, [PW["alice"].encode()])
            if unread or not workers:
                tap.skip("memory search", "could not read %r (workers %r)"
                         % (unread, workers))
            else:
                tap.ok(not hits[PW["alice"].encode()],
                       "alice's password is in no process of the daemon "
                       "(her worker %d among them): %s" %
                       (workers[0],
                        process_titles(d, hits[PW["alice"].encode()])))
            leave(a)
            # Control: a password login, the checker stopped so that the
            # password waits on its way.  The daemon wipes passwords as
            # soon as it can, so this may find nothing: then it is said.
            authd = d.role_pids("secchatd: auth")
            if authd:
                os.kill(authd[0], signal.SIGSTOP)
                try:
                    r = RawClient(d.port)
                    r.hello()
                    r.handshake(bytes([MSG["AUTH"]]) + wstr("bob") +
                                wstr(PW["bob"]))
                    pids = [d.pid()] + [p for p, _ in d.children()]
                    found = wait_for(lambda: scan_memory(
                        pids, [PW["bob"].encode()])[0][PW["bob"].encode()],
                        timeout=3, step=0.2)
                finally:
                    os.kill(authd[0], signal.SIGCONT)
                m = r.recv_msg()
                r.close()
                if found:
                    tap.ok(True, "control: a password login's password is "
                           "found while it is checked: %s" %
                           process_titles(d, found))
                else:
                    tap.diag("control: bob's password was not found in "
                             "the daemon's memory while the checker was "
                             "stopped (the processes wipe it once "
                             "passed on); the search is shown to work by "
                             "test_e2e.py's room message")
                tap.ok(m[0] == MSG["AUTH_OK"],
                       "and bob, the control, logs in with his password")

        # 6. A passphrase.
        fd = phrase_fd("correct horse")
        rc, out, err = run([SECCHAT, "-N", "-i", cdev[1], "-o",
                            "PassphraseFd=%d" % fd], cdev[0], pass_fds=(fd,))
        os.close(fd)
        tap.ok(rc == 0, "secchat -N sets a passphrase from PassphraseFd "
               "(%d %s)" % (rc, err.strip()))
        rc, out, err = run([SECCHAT, "-K", "-i", cdev[1]], cdev[0])
        tap.ok(rc != 0 and not out, "without the passphrase (and no "
               "terminal) the identity does not open: %s" % err.strip())
        fd = phrase_fd("correct horse")
        rc, out, err = run([SECCHAT, "-K", "-i", cdev[1], "-o",
                            "PassphraseFd=%d" % fd], cdev[0], pass_fds=(fd,))
        os.close(fd)
        tap.ok(rc == 0 and out.strip() == cdev[2],
               "with it, the same public key: %r" % out)
        fd = phrase_fd("correct horse")
        c = KeyClient(d, "carol", cdev, extra=["-o", "PassphraseFd=%d" % fd],
                      pass_fds=(fd,))
        os.close(fd)
        tap.ok(logs_in(c, "carol"), "carol's client opens her identity with "
               "the right passphrase and logs in by key")
        leave(c)
        accepted = len(d.log.seen(r"Accepted publickey for carol "))
        fd = phrase_fd("wrong horse")
        c = KeyClient(d, "carol", cdev, extra=["-o", "PassphraseFd=%d" % fd],
                      pass_fds=(fd,))
        os.close(fd)
        ok, rc, err = refused(c, "carol")
        tap.ok(ok, "with a wrong passphrase it does not log in (exit %s)" %
               rc)
        tap.ok(re.search(r"passphrase", err, re.I),
               "and says why, naming the passphrase: %r" % err)
        tap.ok(len(d.log.seen(r"Accepted publickey for carol ")) == accepted,
               "the server saw no second key login for carol")
    finally:
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-80:]))


# ------------------------------------------------------------ publickey only

def publickey_only():
    d = Daemon(users=USERS, extra_conf="AuthenticationMethods publickey\n")
    try:
        adev = identity(d, "alice")
        other = identity(d, "other")
        rc, _, err = passwd(d, "key", "add", "alice", adev[2])
        tap.ok(rc == 0, "publickey only: alice's key enrolled")
        d.start()
        a = KeyClient(d, "alice", adev)
        tap.ok(logs_in(a, "alice"), "the enrolled key logs in")
        leave(a)
        c = KeyClient(d, "alice", other, password=PW["alice"])
        ok, rc, err = refused(c, "alice")
        tap.ok(ok, "an unenrolled key is refused, even with the right "
               "password at hand (exit %s): %s" % (rc, err))
        tap.ok(d.log.wait_seen(r"Refused key for alice from 127\.0\.0\.1 "
                               r"port \d+ key %s: \S" %
                               re.escape(key_fingerprint(other[3]))),
               "the master logs \"Refused key for alice ... key SHA256:...: "
               "REASON\"")
        r = RawClient(d.port)
        m = r.login("alice", PW["alice"])
        r.close()
        tap.ok(m[0] == MSG["AUTH_FAIL"], "the right password alone is "
               "refused (a client of version 1)")
        c = KeyClient(d, "alice", adev, password=PW["alice"],
                      extra=["-o", "KeyLogin=no"])
        ok, rc, err = refused(c, "alice")
        tap.ok(ok, "and so it is from secchat with KeyLogin=no (exit %s)" %
               rc)
        c = KeyClient(d, "bob", identity(d, "bob"), password=PW["bob"])
        ok, rc, err = refused(c, "bob")
        tap.ok(ok, "bob, who has no key, cannot log in at all")
    finally:
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-60:]))


# ------------------------------------------------------------ key and password

def key_and_password():
    d = Daemon(users=USERS, extra_conf=(
        "Match User alice\n"
        "AuthenticationMethods publickey,password\n"))
    try:
        adev = identity(d, "alice")
        rc, _, err = passwd(d, "key", "add", "alice", adev[2])
        tap.ok(rc == 0, "publickey,password for alice: her key enrolled")
        d.start()
        c = KeyClient(d, "alice", adev)
        ok, rc, err = refused(c, "alice")
        tap.ok(ok, "the key alone is not enough (exit %s): %s" % (rc, err))
        c = KeyClient(d, "alice", adev, password="wrong-" + PW["alice"])
        ok, rc, err = refused(c, "alice")
        tap.ok(ok, "the key and a wrong password are refused (exit %s)" %
               rc)
        c = KeyClient(d, "alice", adev, password=PW["alice"])
        tap.ok(logs_in(c, "alice"), "the key and the password log in")
        leave(c)
        tap.ok(d.log.seen(r"Partial publickey for alice from 127\.0\.0\.1 "
                          r"port \d+ key %s: password needed$" %
                          re.escape(key_fingerprint(adev[3]))) and
               d.log.seen(r"Accepted publickey,password for alice from "
                          r"127\.0\.0\.1 port \d+ key %s$" %
                          re.escape(key_fingerprint(adev[3]))),
               "the master logs the key as partial, then the login as "
               "\"Accepted publickey,password\"")
        b = Client(d, "bob", PW["bob"])
        tap.ok(b.out.expect(r" login bob$") is not None,
               "bob, outside the Match block, logs in with a password")
        leave(b)
        r = subprocess.run([d.secchatd, "-T", "-f", d.conf],
                           capture_output=True, text=True)
        tap.ok(re.search(r"(?im)^match user alice$", r.stdout) and
               re.search(r"(?im)^\s*authenticationmethods "
                         r"publickey,password$", r.stdout),
               "secchatd -T prints the Match block")
    finally:
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-60:]))


default_methods()
publickey_only()
key_and_password()
tap.done()
