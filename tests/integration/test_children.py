"""The master's care of its children and its own files: a stopped broker
or password checker is noticed and replaced, the checker is sandboxed and
restarted like the broker, children's standard descriptors are /dev/null
and a pipe the master logs (never the client's socket or the master's
log), process titles are whole, and the files the master writes or trusts
are checked (PidFile not written through a link, PrivsepDirectory without
links or writable parents, secret files owned by their reader)."""

import os
import pwd
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, ProtocolClosed,  # noqa
                     IS_ROOT, proc_status, wait_for, nobody_exists,
                     SECCHATD)

tap = Tap()


def login(d, user="alice", pw="alice-pw"):
    try:
        r = RawClient(d.port, timeout=15)
        rep = r.login(user, pw)
        return r, rep
    except (ProtocolClosed, OSError, ValueError):
        return None, None


def logs_in(d, user="alice", pw="alice-pw"):
    """A login succeeds within a few tries (a restarting child may refuse
    the first with "server starting")."""
    for _ in range(40):
        r, rep = login(d, user, pw)
        if r:
            r.close()
        if rep is not None and rep[0] == MSG["AUTH_OK"]:
            return True
        wait_for(lambda: False, timeout=0.25)
    return False


def one_pid(d, title):
    pids = wait_for(lambda: [p for p, c in d.children() if c.startswith(title)])
    return pids[0] if len(pids) == 1 else None


def fd_target(pid, fd):
    try:
        return os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except OSError:
        return None


with open(SECCHATD, "rb") as f:
    HOOKS = b"SECCHAT_TEST_PING_MS" in f.read()

# ------------------------------------------------------------ liveness
if not HOOKS:
    tap.skip("stopped children are replaced", "built without test hooks")
else:
    os.environ["SECCHAT_TEST_PING_MS"] = "200"
    d = Daemon(users=[("alice", "alice-pw")])
    try:
        d.start()
        del os.environ["SECCHAT_TEST_PING_MS"]
        for title, name in (("secchatd: broker", "broker"),
                            ("secchatd: auth", "auth")):
            pid = one_pid(d, title)
            tap.ok(pid is not None, "the %s is running" % name)
            os.kill(pid, signal.SIGSTOP)
            tap.ok(d.log.expect(r"%s: no answer to a liveness check; "
                                r"killing it \(pid %d\)" % (name, pid))
                   is not None, "a stopped %s is noticed" % name)
            new = wait_for(lambda: [p for p, c in d.children()
                                    if c.startswith(title) and p != pid])
            tap.ok(len(new) == 1, "and replaced by a new one")
            tap.ok(logs_in(d), "and logins work again")
    finally:
        d.cleanup()

# ------------------------------------------------------------ the checker
d = Daemon(users=[("alice", "alice-pw")])
try:
    d.start()
    tap.ok(d.log.seen(r"users file .*: 1 user$"),
           "one account is counted as \"1 user\"")
    auth = one_pid(d, "secchatd: auth")
    tap.ok(auth is not None, "ps shows the password checker")
    st = proc_status(auth)
    tap.ok(st.get("Seccomp") == "2", "the checker runs under seccomp")
    tap.ok(st.get("NoNewPrivs") == "1", "the checker has no new privileges")
    if IS_ROOT and nobody_exists():
        nobody = pwd.getpwnam("nobody")
        tap.ok(all(int(u) == nobody.pw_uid
                   for u in st.get("Uid", "").split()),
               "the checker runs as the privsep user")
        tap.ok(os.path.realpath(os.readlink("/proc/%d/root" % auth)) ==
               os.path.realpath(d.empty), "the checker is chrooted")
    else:
        tap.skip("checker uid and chroot", "not root")
    os.kill(auth, signal.SIGKILL)
    tap.ok(d.log.expect(r"password checker \(pid %d\): killed by signal 9"
                        % auth) is not None, "the checker's death is logged")
    tap.ok(logs_in(d), "a new checker is started and logins work")

    # Standard descriptors of the children.  As root only: the sandboxed
    # children are not dumpable, so only root reads their descriptors.
    r, rep = login(d)
    worker = wait_for(lambda: [p for p, c in d.children()
                               if "worker [" in c and "alice" in c])
    port = r.sock.getsockname()[1]
    titles = [c for p, c in d.children() if "worker [" in c]
    tap.ok(any(c == "secchatd: worker [127.0.0.1 port %d] alice" % port
               for c in titles),
           "the worker's title is whole: address, port and user (%r)" %
           titles)
    with open("/proc/%d/cmdline" % d.pid(), "rb") as f:
        mtitle = f.read().replace(b"\0", b" ").decode().strip()
    tap.ok(mtitle.startswith("secchatd: master [") and
           not mtitle.endswith(" ."), "the master's title (%r)" % mtitle)
    if IS_ROOT and worker:
        master_err = fd_target(d.pid(), 2)
        for pid in [worker[0], one_pid(d, "secchatd: broker"),
                    one_pid(d, "secchatd: auth")]:
            t = [fd_target(pid, i) for i in range(4)]
            tap.ok(t[0] == "/dev/null" and t[1] == "/dev/null",
                   "pid %d: descriptors 0 and 1 are /dev/null (%r)" %
                   (pid, t[:2]))
            tap.ok(t[2] is not None and t[2].startswith("pipe:") and
                   t[2] != master_err and t[2] != t[3],
                   "pid %d: descriptor 2 is the master's pipe, not its "
                   "log (%s) nor descriptor 3 (%s)" % (pid, t[2], t[3]))
    else:
        tap.skip("children's standard descriptors", "not root")
    r.close()
finally:
    d.cleanup()

# ------------------------------------------------------------ files
d = Daemon(users=[("alice", "alice-pw")],
           extra_conf="MaxAuthFailuresPerSource 3\n")
try:
    target = os.path.join(d.dir, "precious")
    with open(target, "w") as f:
        f.write("keep me\n")
    os.symlink(target, d.pidfile)
    d.start()
    tap.ok(d.log.seen(r"pid file .*secchatd\.pid: Too many levels of "
                      r"symbolic links"),
           "a PidFile that is a symbolic link is refused")
    with open(target) as f:
        tap.ok(f.read() == "keep me\n", "and nothing is written through it")
    # Connections ended by failed or throttled logins are logged with
    # their reason.  MaxAuthFailuresPerSource is 3 here: the second
    # connection is throttled at once.
    for i in range(2):
        r = RawClient(d.port)
        r.login("alice", "wrong1")
        try:
            r.send_auth("alice", "wrong2")
            r.recv_msg()
            r.send_auth("alice", "wrong3")
            r.recv_msg()
        except (ProtocolClosed, OSError):
            pass
        r.closed()
        r.close()
    tap.ok(d.log.expect(r"Connection from 127\.0\.0\.1 port \d+ closed "
                        r"before login: invalid user name or password") is not None,
           "a connection ended by failed logins is logged with the reason")
    tap.ok(d.log.expect(r"Connection from 127\.0\.0\.1 port \d+ closed "
                        r"before login: .*too many failed logins")
           is not None, "so is one ended by the throttle")
    tap.ok(not d.log.seen(r"exited with status 0"),
           "neither is logged as \"exited with status 0\"")
    d.signal(signal.SIGINT)
    tap.ok(d.log.expect(r"received SIGINT; shutting down") is not None,
           "Ctrl-C is logged as SIGINT")
finally:
    d.cleanup()

if IS_ROOT and nobody_exists():
    # A PrivsepDirectory reached through a link, or with a parent others
    # may write to, is refused at start.
    d = Daemon()
    try:
        link = os.path.join(d.dir, "link")
        os.symlink("/", link)
        d.empty = link
        d.write_conf()
        p = subprocess.run([SECCHATD, "-D", "-e", "-f", d.conf],
                           capture_output=True, timeout=20)
        tap.ok(p.returncode != 0 and b"symbolic link" in p.stderr,
               "a PrivsepDirectory that is a link to / is refused (%r)" %
               p.stderr.decode()[-200:])
        parent = os.path.join(d.dir, "open")
        os.mkdir(parent)
        os.chmod(parent, 0o777)
        d.empty = os.path.join(parent, "empty")
        os.mkdir(d.empty, 0o755)
        d.write_conf()
        p = subprocess.run([SECCHATD, "-D", "-e", "-f", d.conf],
                           capture_output=True, timeout=20)
        tap.ok(p.returncode != 0 and b"every directory above" in p.stderr,
               "one under a directory others may write to is refused")
        # A users file that another user owns is not trusted.
        d.empty = os.path.join(d.dir, "empty")
        d.write_conf()
        os.chown(d.users, pwd.getpwnam("nobody").pw_uid, -1)
        d.start()
        tap.ok(d.log.seen(r"users file: .*owned by uid"),
               "a users file owned by another user is refused")
        r, rep = login(d)
        tap.ok(rep is not None and rep[0] == MSG["AUTH_FAIL"],
               "and nobody logs in with it")
        if r:
            r.close()
    finally:
        d.cleanup()
else:
    tap.skip("PrivsepDirectory and file owners", "not root")

tap.done()
