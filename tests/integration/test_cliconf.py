"""The client's configuration file: a Host block chooses the user, port,
host name and identity; the command line wins over it; a mistake names
its line; a file others could change is refused.  secchat -R removes a
host's key from known_hosts as ssh-keygen -R does."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Lines, SECCHAT, WAIT, WRAP  # noqa: E402

tap = Tap()
d = Daemon()


def run(home, args, stdin=""):
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = home
    env["HOME"] = home
    return subprocess.run(WRAP + [SECCHAT] + args, input=stdin.encode(),
                          capture_output=True, env=env, timeout=WAIT)


try:
    d.start()
    home = os.path.join(d.dir, "home")
    conf_dir = os.path.join(home, "secchat")
    os.makedirs(conf_dir)
    for user in ("bob", "carol"):
        with open(os.path.join(home, user + ".pw"), "w") as f:
            f.write(user + "-pw\n")
    # The default identity, then a copy of it under another name.
    r = run(home, ["-F", "none", "-l"])
    tap.ok(r.returncode == 0, "secchat -l makes the default identity")
    ident = os.path.join(conf_dir, "identity")
    with open(ident, "rb") as f:
        key = f.read()
    work = os.path.join(home, "work-id")
    with open(work, "wb") as f:
        f.write(key)
    os.chmod(work, 0o600)
    conf = os.path.join(conf_dir, "config")
    with open(conf, "w") as f:
        f.write("# secchat's own configuration\n"
                "Host chatsrv\n"
                "    HostName 127.0.0.1\n"
                "    Port %d\n"
                "    User bob\n"
                "    IdentityFile ~/work-id\n"
                "Host *\n"
                "    User carol\n"
                "    Port 1\n"
                "    StrictHostKeyChecking accept-new\n" % d.port)
    os.chmod(conf, 0o600)

    r = run(home, ["-l", "chatsrv"])
    tap.ok(r.returncode == 0 and r.stdout.decode().strip().endswith(work),
           "IdentityFile ~/work-id is chosen for chatsrv: %r" %
           r.stdout.decode().strip())
    r = run(home, ["-l", "elsewhere"])
    tap.ok(r.stdout.decode().strip().endswith(ident),
           "but not for another host")

    r = run(home, ["-P", os.path.join(home, "bob.pw"), "chatsrv"], "")
    out = r.stdout.decode()
    tap.ok(r.returncode == 0 and " login bob" in out,
           "Host chatsrv gives HostName, Port and User: %r %r" %
           (out, r.stderr.decode()))
    r = run(home, ["-u", "carol", "-P", os.path.join(home, "carol.pw"),
                   "chatsrv"], "")
    tap.ok(r.returncode == 0 and " login carol" in r.stdout.decode(),
           "the command line's -u wins over the file")
    r = run(home, ["-F", "none", "-P", os.path.join(home, "bob.pw"),
                   "-u", "bob", "-o", "ConnectTimeout=5", "chatsrv"], "")
    tap.ok(r.returncode == 3, "-F none reads no file: chatsrv is not "
           "known (exit %d)" % r.returncode)

    other = os.path.join(home, "other.conf")
    with open(other, "w") as f:
        f.write("Host *\n  Port %d\n  User bob\n  Bogus yes\n" % d.port)
    r = run(home, ["-F", other, "127.0.0.1"])
    tap.ok(r.returncode == 2 and (other + " line 4: unknown keyword") in
           r.stderr.decode(), "a mistake names the file and line: %r" %
           r.stderr.decode().strip())
    with open(other, "w") as f:
        f.write("Port %d\n" % d.port)
    os.chmod(other, 0o666)
    r = run(home, ["-F", other, "127.0.0.1"])
    tap.ok(r.returncode == 2 and "bad owner or permissions" in
           r.stderr.decode(), "a file others may write is refused")
    r = run(home, ["-F", os.path.join(home, "missing"), "127.0.0.1"])
    tap.ok(r.returncode == 2 and "No such file" in r.stderr.decode(),
           "a file named with -F must exist")

    # secchat -R
    kh = os.path.join(conf_dir, "known_hosts")
    with open(kh) as f:
        before = f.read()
    hp = "127.0.0.1:%d" % d.port
    tap.ok(before.count(hp) == 1, "known_hosts holds the server")
    with open(kh, "a") as f:
        f.write("# a comment\nother.example:7001 secchat-x25519 "
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    r = run(home, ["-R", hp])
    out = r.stdout.decode()
    tap.ok(r.returncode == 0 and ("# Host %s found: line 1" % hp) in out and
           (kh + " updated.") in out, "-R names what it removed: %r" % out)
    with open(kh) as f:
        after = f.read()
    tap.ok(hp not in after and "# a comment" in after and
           "other.example:7001" in after,
           "the host's line is gone, the rest kept")
    tap.ok(os.stat(kh).st_mode & 0o777 == 0o600, "known_hosts is still 0600")
    with open(kh + ".old") as f:
        tap.ok(hp in f.read(), "the old contents are kept as known_hosts.old")
    r = run(home, ["-R", hp])
    tap.ok(r.returncode == 1 and "not found" in r.stderr.decode(),
           "removing it again: not found, exit 1")
    r = run(home, ["-R", "other.example"])
    tap.ok(r.returncode == 0 and "other.example:7001" in r.stdout.decode(),
           "a host without a port: every port's line")
finally:
    d.cleanup()
tap.done()
