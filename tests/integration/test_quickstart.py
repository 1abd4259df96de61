"""build-aux/quickstart twice, with the programs of this build: the second
run keeps the first one's state and host key, so the command it prints
connects without a warning; it leaves nothing in /tmp."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Lines, BUILDDIR, SRCDIR, WAIT  # noqa: E402

tap = Tap()
top = tempfile.mkdtemp(prefix="secchat-test-")
os.chmod(top, 0o755)
home = os.path.join(top, "home")
os.makedirs(home)
state = os.path.join(top, "demo")
QUICKSTART = os.path.join(SRCDIR, "build-aux", "quickstart")


DEMO_DEFAULT_PORT = 9999  # the demo's default, which tests never use

def free_port():
    """A port the kernel just gave out, never the demo's default one."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != DEMO_DEFAULT_PORT:
            return port


class Quickstart:
    def __init__(self, port):
        env = dict(os.environ)
        env.update(SECCHAT_QUICKSTART_BIN=BUILDDIR, SECCHAT_DEMO_DIR=state,
                   PORT=str(port))
        env["ASAN_OPTIONS"] = ":".join(
            [o for o in [os.environ.get("ASAN_OPTIONS", "")] if o] +
            ["detect_leaks=0"])
        self.port = port
        self.proc = subprocess.Popen([QUICKSTART], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out = Lines(self.proc.stdout, "quickstart.out")
        self.log = Lines(self.proc.stderr, "quickstart.err")

    def ready(self):
        return self.log.expect(r"\bready\b") is not None

    def stop(self):
        """Ctrl-C, as its message says."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.closed.wait(5)
        self.log.closed.wait(5)


def start(port=None):
    """Quickstart on the port given, or on a free one: then another try if
    someone took it first."""
    for _ in range(3):
        q = Quickstart(port or free_port())
        if q.ready() or port:
            return q
        q.stop()
        if not q.log.seen("Address already in use"):
            break
    return q


def printed(q, user):
    """The command line and password it printed for user."""
    rx = re.compile(r"^\s+(\S+/secchat -p \d+ -u %s 127\.0\.0\.1)\s+"
                    r"\(password: (\S+)\)$" % user)
    for line in q.out.all:
        m = rx.match(line)
        if m:
            return m.group(1).split(), m.group(2)
    return None, None


def fingerprint(q):
    for line in q.out.all:
        m = re.match(r"Server key fingerprint: (\S+)$", line)
        if m:
            return m.group(1)
    return None


def connect(q, user, extra=()):
    """Run the printed command in pipe mode with the printed password;
    (logged in, everything it wrote on stderr)."""
    argv, password = printed(q, user)
    if argv is None:
        return False, ["no command printed for %s" % user]
    pwfile = os.path.join(home, "password-" + user)
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    os.chmod(pwfile, 0o600)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home)
    p = subprocess.Popen(argv[:-1] + ["-P", pwfile] + list(extra) +
                         argv[-1:], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    out = Lines(p.stdout, user + ".out")
    err = Lines(p.stderr, user + ".err")
    ok = out.expect(r" login %s$" % user) is not None
    try:
        p.communicate(b"exit\n", timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    err.closed.wait(5)
    return ok, err.all


before = set(glob.glob("/tmp/secchat-demo.*"))
q = None
try:
    q = start()
    tap.ok(q.proc.poll() is None and q.log.seen(r"\bready\b"),
           "quickstart runs the daemon")
    fpr1 = fingerprint(q)
    # The first contact: pipe mode has no terminal to ask on.
    ok, _ = connect(q, "alice", ["-o", "StrictHostKeyChecking=accept-new"])
    tap.ok(ok, "alice logs in with the printed command")
    q.stop()
    tap.ok(q.proc.returncode == 0, "Ctrl-C stops it (status %s)" %
           q.proc.returncode)

    # Known hosts are per host and port: the same port, as a user has.
    q = start(q.port)
    tap.ok(q.proc.poll() is None and q.log.seen(r"\bready\b"),
           "quickstart runs again")
    fpr2 = fingerprint(q)
    tap.ok(fpr1 is not None and fpr1 == fpr2,
           "the second run keeps the host key (%s, %s)" % (fpr1, fpr2))
    ok, err = connect(q, "alice")
    tap.ok(ok and not err, "alice logs in again, without a warning")
    if err:
        tap.diag("\n".join(err))
    ok, err = connect(q, "bob")
    tap.ok(ok, "bob logs in too")
    tap.ok(len(q.log.seen(r"users file .*: 2 users$")) == 1,
           "the demo still has its two accounts")
    q.stop()
    tap.ok(os.path.exists(os.path.join(state, "host_key")),
           "the state stays where it was put")
    tap.ok(set(glob.glob("/tmp/secchat-demo.*")) <= before,
           "nothing is left in /tmp")
finally:
    if q:
        q.stop()
        if tap.failed:
            tap.diag("\n".join(q.out.all + q.log.all))
    shutil.rmtree(top, ignore_errors=True)
tap.done()
