"""The interactive client's way in, in a real terminal (tmux): the
first-contact question names the other names a key is known by and takes
a pasted fingerprint; the user name defaults to the login name; a wrong
password costs one line; a person slower than LoginGraceTime at a prompt
is connected again instead of being told "connection lost"; an interrupt
at a password prompt exits 1 however many tries came before; a server that
never says hello is given up on after ConnectTimeout, saying so."""

import base64
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, SECCHAT, WAIT,  # noqa
                     wait_for, wstr)

tap = Tap()
if shutil.which("tmux") is None:
    tap.skip("interactive login in tmux", "tmux is not installed")
    tap.done()

LOGIN = pwd.getpwuid(os.getuid()).pw_name
# The login name is the default only if it can be a secchat user name.
LOGIN_OK = re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", LOGIN) is not None


class Term:
    """secchat in a tmux window; the command's exit status is shown."""

    def __init__(self, d, name, args, home):
        self.sock = os.path.join(d.dir, "tmux-%s.sock" % name)
        os.makedirs(home, exist_ok=True)
        # The shell ignores ^C, so that it lives to show the status.
        cmd = ("trap '' INT; "
               "env -u LANG LC_ALL=C XDG_CONFIG_HOME=%s HOME=%s "
               "ASAN_OPTIONS=detect_leaks=0 %s -p %d %s 127.0.0.1; "
               "echo exit=$?; sleep 600" %
               (home, home, SECCHAT, d.port, " ".join(args)))
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x",
                 "100", "-y", "40", "sh", "-c", cmd)

    def run(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args),
                              capture_output=True, text=True)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "t", "-S", "-100").stdout

    def wait(self, text, timeout=WAIT):
        return wait_for(lambda: text in self.screen(), timeout)

    def type(self, text):
        self.run("send-keys", "-t", "t", "-l", text)
        self.run("send-keys", "-t", "t", "Enter")

    def key(self, k):
        self.run("send-keys", "-t", "t", k)

    def close(self):
        self.run("kill-server")


def server_key(d):
    rc = RawClient(d.port)
    rc.hello()
    rc.handshake(bytes([MSG["AUTH"]]) + wstr("alice") + wstr("alice-pw"))
    rc.close()
    return rc.server_static


def fingerprint(key):
    import hashlib
    return "SHA256:" + base64.b64encode(
        hashlib.sha256(key).digest()).decode().rstrip("=")


users = [("alice", "alice-pw"), ("bob", "bob-pw")]
if LOGIN_OK and LOGIN not in ("alice", "bob"):
    users.append((LOGIN, "login-pw"))
d = Daemon(users=users, extra_conf="LoginGraceTime 2\n")
terms = []
try:
    d.start()
    key = server_key(d)
    fp = fingerprint(key)

    # First contact: the key is already known as localhost.
    home = os.path.join(d.dir, "home-first")
    os.makedirs(os.path.join(home, "secchat"))
    kh = os.path.join(home, "secchat", "known_hosts")
    with open(kh, "w") as f:
        f.write("# mine\nlocalhost:%d secchat-x25519 %s\n" %
                (d.port, base64.b64encode(key).decode()))
    t = Term(d, "first", ["-P", os.path.join(d.dir, "alice.pw"),
                          "-u", "alice"], home)
    terms.append(t)
    with open(os.path.join(d.dir, "alice.pw"), "w") as f:
        f.write("alice-pw\n")
    tap.ok(t.wait("continue connecting"), "first contact asks about the key")
    s = t.screen()
    tap.diag(s)
    tap.ok("not known by any other names" not in s and
           "known by the following other names" in s and
           "%s:2: localhost:%d" % (kh, d.port) in s,
           "and lists the other name it is known by, with file and line")
    # Slower than LoginGraceTime: the server gives up meanwhile.
    tap.ok(d.log.expect(r"closed before login: .*login grace time exceeded")
           is not None, "the server gives up while the question waits")
    t.type("nonsense")
    tap.ok(t.wait("Please type 'yes', 'no' or the fingerprint"),
           "an answer that is none of them is asked again")
    t.type(fp + ".")
    tap.ok(t.wait("connecting again"),
           "the pasted fingerprint is a yes; the client connects again")
    tap.ok(t.wait("[lobby]"), "and logs in, instead of losing the "
           "connection")
    tap.ok("connection lost" not in t.screen(), "no \"connection lost\"")
    t.type("/quit")
    tap.ok(t.wait("exit=0"), "and leaves with status 0")
    t.close()

    # No -u: the login name, and a slow password prompt.
    home = os.path.join(d.dir, "home-login")
    accept = "-o StrictHostKeyChecking=accept-new"
    if not LOGIN_OK:
        tap.skip("the login name as the user",
                 "%s cannot be a user name" % LOGIN)
    else:
        pw = dict(users)[LOGIN]
        t = Term(d, "login", [accept], home)
        terms.append(t)
        tap.ok(t.wait("%s@127.0.0.1's password:" % LOGIN),
               "without -u the user is the login name (%s)" % LOGIN)
        tap.ok("User:" not in t.screen(), "no \"User:\" question")
        tap.ok(d.log.expect(r"closed before login: .*login grace time "
                            r"exceeded") is not None,
               "the server gives up while the password waits")
        t.type(pw)
        tap.ok(t.wait("[lobby]"), "the client connects again and logs in")
        tap.ok("connecting again" in t.screen(),
               "saying why it connects again")
        t.type("/quit")
        tap.ok(t.wait("exit=0"), "status 0")
        t.close()

    # A wrong password, a slow second try: BYE("login timeout") after AUTH.
    t = Term(d, "retry", ["-u", "alice", accept], home)
    terms.append(t)
    tap.ok(t.wait("alice@127.0.0.1's password:"), "password prompt")
    t.type("wrong")
    tap.ok(t.wait("tries left"), "a wrong password is refused")
    s = t.screen()
    tap.diag(s)
    tap.ok(len([l for l in s.splitlines() if "Permission denied" in l]) == 1
           and "authentication failed" not in s,
           "in one line, before the prompt")
    tap.ok(d.log.expect(r"Failed login for alice") is not None and
           d.log.expect(r"closed before login: .*login grace time exceeded")
           is not None, "the server gives up while the second try waits")
    t.type("alice-pw")
    tap.ok(t.wait("[lobby]"), "the client connects again with the second "
           "password and logs in")
    t.type("/quit")
    tap.ok(t.wait("exit=0"), "status 0")
    t.close()

    # Interrupts at the password prompts.
    t = Term(d, "int1", ["-u", "alice", accept], home)
    terms.append(t)
    tap.ok(t.wait("password:"), "password prompt")
    t.key("C-c")
    tap.ok(t.wait("exit="), "an interrupt at the prompt ends secchat")
    tap.ok("exit=1" in t.screen(), "with status 1")
    t.close()
    t = Term(d, "int2", ["-u", "alice", accept], home)
    terms.append(t)
    tap.ok(t.wait("password:"), "password prompt")
    t.type("wrong")
    tap.ok(t.wait("tries left"), "a wrong password first")
    t.key("C-c")
    tap.ok(t.wait("exit="), "an interrupt at the second prompt")
    tap.ok("exit=1" in t.screen(), "also ends with status 1, not 4: %s" %
           [l for l in t.screen().splitlines() if "exit=" in l])
    t.close()
finally:
    for t in terms:
        t.close()
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))

# A port where something listens and never says a word.
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(4)
port = silent.getsockname()[1]
home = tempfile.mkdtemp(prefix="secchat-test-")
try:
    env = dict(os.environ, XDG_CONFIG_HOME=home, HOME=home)
    try:
        r = subprocess.run([SECCHAT, "-p", str(port), "-u", "alice", "-P",
                            "/dev/null", "-o", "ConnectTimeout=2",
                            "127.0.0.1"], stdin=subprocess.DEVNULL,
                           capture_output=True, env=env, timeout=WAIT)
        rc, err = r.returncode, r.stderr.decode()
    except subprocess.TimeoutExpired:
        rc, err = None, "(still waiting)"
    tap.diag(err)
    tap.ok(rc == 3, "a server that never says hello is given up on after "
           "ConnectTimeout, exit 3 (got %s)" % rc)
    tap.ok("hello" in err and "127.0.0.1 port %d" % port in err,
           "saying what was waited for, and where")
finally:
    silent.close()
    shutil.rmtree(home, ignore_errors=True)
tap.done()
