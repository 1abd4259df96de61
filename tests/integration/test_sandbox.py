"""The broker and every worker run sandboxed: seccomp in every mode, and as
root also the unprivileged user and the empty chroot.  A worker that makes
a forbidden system call is killed; the other sessions go on."""

import os
import pwd
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, SECCHATD,  # noqa
                     IS_ROOT, proc_status, wait_for)

HOOK = b"secchat-test-hook:forbidden-syscall"

tap = Tap()
d = Daemon()
try:
    d.start()
    a = Client(d, "alice", "alice-pw")
    b = Client(d, "bob", "bob-pw")
    tap.ok(a.out.expect(r" login alice$") is not None and
           b.out.expect(r" login bob$") is not None, "alice and bob log in")
    workers = wait_for(lambda: [p for p, c in d.children()
                                if c.startswith("secchatd: worker") or
                                "worker [" in c and "alice" in c or
                                "worker [" in c and "bob" in c])
    brokers = d.role_pids("secchatd: broker") or [
        p for p, c in d.children() if "broker" in c]
    tap.ok(len(brokers) == 1, "ps shows the broker (%r)" % d.children())
    tap.ok(len([1 for p, c in d.children() if "alice" in c]) == 1 and
           len([1 for p, c in d.children() if "bob" in c]) == 1,
           "ps shows one worker per user, titled with the user")
    sandboxed = brokers + [p for p, c in d.children() if "worker" in c]
    tap.ok(len(sandboxed) >= 3, "found the broker and the workers")
    for pid in sandboxed:
        st = proc_status(pid)
        tap.ok(st.get("Seccomp") == "2",
               "pid %d: seccomp filter in force (Seccomp: %s)" %
               (pid, st.get("Seccomp")))
        tap.ok(st.get("NoNewPrivs") == "1", "pid %d: no new privileges" % pid)
        if IS_ROOT:
            nobody = pwd.getpwnam("nobody")
            uids = st.get("Uid", "").split()
            tap.ok(uids and all(int(u) == nobody.pw_uid for u in uids),
                   "pid %d: runs as nobody (Uid: %s)" % (pid, st.get("Uid")))
            gids = st.get("Gid", "").split()
            tap.ok(gids and all(int(g) == nobody.pw_gid for g in gids),
                   "pid %d: nobody's group (Gid: %s)" % (pid, st.get("Gid")))
            root = os.readlink("/proc/%d/root" % pid)
            tap.ok(os.path.realpath(root) == os.path.realpath(d.empty),
                   "pid %d: chrooted to the empty directory (%s)" %
                   (pid, root))
    if not IS_ROOT:
        tap.skip("uid and chroot", "not root: no user change or chroot")
    # Workers do not preempt the broker when a fan-out wakes them
    # (worker.c, worker_sched_batch; doc/benchmarks.md).
    for pid in [p for p, c in d.children() if "worker" in c]:
        tap.ok(os.sched_getscheduler(pid) == os.SCHED_BATCH,
               "pid %d: a worker runs under SCHED_BATCH (policy %d)" %
               (pid, os.sched_getscheduler(pid)))
    tap.ok(all(os.sched_getscheduler(p) == os.SCHED_OTHER for p in brokers),
           "the broker keeps the normal policy")
    # Each worker waits on an epoll set made before its sandbox closed the
    # door on new descriptors (worker.c, WORKER_EPOLL).
    for pid in [p for p, c in d.children() if "worker" in c]:
        try:
            links = [os.readlink("/proc/%d/fd/%s" % (pid, fd))
                     for fd in os.listdir("/proc/%d/fd" % pid)]
        except OSError as e:
            tap.skip("worker %d's descriptors" % pid, "unreadable: %s" % e)
            continue
        tap.ok(links.count("anon_inode:[eventpoll]") == 1,
               "pid %d: a worker waits on one epoll set (%r)" % (pid, links))

    with open(SECCHATD, "rb") as f:
        has_hook = HOOK in f.read()
    if not has_hook:
        tap.skip("forbidden system call kills the worker",
                 "built without --enable-test-hooks")
    else:
        r = RawClient(d.port)
        ok = r.login("carol", "carol-pw")
        tap.ok(ok[0] == MSG["AUTH_OK"], "carol logs in")
        tap.ok(b.out.expect(r" arrived lobby carol$") is not None,
               "bob sees carol arrive")
        r.say("lobby", HOOK.decode())
        tap.ok(r.closed(), "carol's connection is closed")
        tap.ok(d.log.expect(r"Disconnected carol .*signal 31 "
                            r"\(forbidden system call\)") is not None,
               "the daemon logs that carol's worker was killed by SIGSYS")
        tap.ok(b.out.expect(r" departed lobby carol ") is not None,
               "bob sees carol leave")
        a.send("still chatting")
        tap.ok(b.out.expect(r" message lobby alice still chatting$")
               is not None, "alice and bob keep chatting")
        tap.ok(not b.out.seen(r"forbidden-syscall"),
               "the message that triggered it was not delivered")
    a.send("exit")
    b.send("exit")
    a.wait()
    b.wait()
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
