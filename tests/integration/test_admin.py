"""Configuration checks (-n, -T), SIGHUP reloads users without dropping
sessions, SIGTERM tells every client and exits cleanly, -F and -G."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, SECCHATD  # noqa: E402

tap = Tap()
d = Daemon()


def run(*args):
    return subprocess.run([SECCHATD] + list(args), capture_output=True,
                          text=True)


try:
    r = run("-n", "-f", d.conf)
    tap.ok(r.returncode == 0 and r.stderr == "",
           "secchatd -n accepts a good configuration")
    bad = os.path.join(d.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("Port 1\n# fine so far\nMaxSessions lots\n")
    r = run("-n", "-f", bad)
    tap.ok(r.returncode != 0 and (bad + ":3:") in r.stderr,
           "secchatd -n rejects a bad one, naming file and line (%s)" %
           r.stderr.strip())
    with open(bad, "w") as f:
        f.write("NoSuchKeyword yes\n")
    r = run("-n", "-f", bad)
    tap.ok(r.returncode != 0 and (bad + ":1:") in r.stderr,
           "an unknown keyword is an error")
    r = run("-n", "-f", os.path.join(d.dir, "missing.conf"))
    tap.ok(r.returncode != 0 and "missing.conf" in r.stderr,
           "a missing file is an error")
    r = run("-T", "-f", d.conf)
    tap.ok(r.returncode == 0 and "maxsessions 1024" in r.stdout and
           "port 0" in r.stdout, "secchatd -T prints the effective settings")

    r = run("-G", "-f", d.conf)
    tap.ok(r.returncode == 0 and os.stat(d.hostkey).st_mode & 0o777 == 0o600,
           "secchatd -G creates the host key with mode 0600")
    r2 = run("-F", "-f", d.conf)
    fpr = r2.stdout.split()[0] if r2.stdout else ""
    tap.ok(r2.returncode == 0 and fpr.startswith("SHA256:") and
           fpr in r.stdout, "secchatd -F prints its fingerprint (%s)" % fpr)
    os.chmod(d.hostkey, 0o644)
    r = run("-F", "-f", d.conf)
    tap.ok(r.returncode != 0 and "too open" in r.stderr,
           "a host key readable by others is refused")
    os.chmod(d.hostkey, 0o600)

    d.start()
    tap.ok(d.log.seen(r"host key " + fpr.replace("+", r"\+")),
           "the daemon logs the same fingerprint")
    tap.ok(os.path.exists(d.pidfile) and
           open(d.pidfile).read().strip() == str(d.pid()),
           "the pid file holds the master's pid")
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" login alice$") is not None, "alice logs in")
    dave = Client(d, "dave", "dave-pw")
    tap.ok(dave.wait() == 4, "dave is not a user yet")
    d.add_user("dave", "dave-pw")
    d.signal(signal.SIGHUP)
    tap.ok(d.log.expect(r"users file .*: 4 users") is not None,
           "SIGHUP re-reads the users file")
    dave = Client(d, "dave", "dave-pw")
    tap.ok(dave.out.expect(r" login dave$") is not None,
           "dave logs in after SIGHUP")
    dave.send("hi all")
    tap.ok(a.out.expect(r" message lobby dave hi all$") is not None,
           "alice's session survived the reload and hears dave")

    d.signal(signal.SIGTERM)
    tap.ok(a.out.expect(r" bye server shutting down$") is not None,
           "SIGTERM: alice is told the server is shutting down")
    tap.ok(dave.out.expect(r" bye server shutting down$") is not None,
           "SIGTERM: dave too")
    tap.ok(a.wait() == 7, "alice's client exits with status 7")
    tap.ok(d.proc.wait(timeout=20) == 0, "the daemon exits with status 0")
    tap.ok(not os.path.exists(d.pidfile), "the pid file is removed")
    tap.ok(not d.children(), "no child process is left behind")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
