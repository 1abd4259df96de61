"""make install into a DESTDIR puts everything in place, and the installed
daemon and client work from there."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, BUILDDIR  # noqa: E402

tap = Tap()
dest = tempfile.mkdtemp(prefix="secchat-destdir-")
d = None
try:
    with open(os.path.join(BUILDDIR, "Makefile")) as f:
        mk = f.read()

    def var(name):
        m = re.search(r"^%s = (.*)$" % name, mk, re.M)
        return m.group(1).strip() if m else ""
    prefix = var("prefix")
    r = subprocess.run(["make", "-C", BUILDDIR, "install", "DESTDIR=" + dest],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 0, "make install DESTDIR=... succeeds")
    if r.returncode != 0:
        tap.diag(r.stdout[-3000:] + r.stderr[-3000:])
    root = dest + prefix
    sbin = os.path.join(root, "sbin")
    bindir = os.path.join(root, "bin")
    for path in ("bin/secchat", "sbin/secchatd", "sbin/secchat-passwd"):
        p = os.path.join(root, path)
        tap.ok(os.access(p, os.X_OK), "installed %s" % path)
    for page in ("man1/secchat.1", "man5/secchatd.conf.5",
                 "man8/secchatd.8", "man8/secchat-passwd.8"):
        tap.ok(os.path.exists(os.path.join(root, "share/man", page)),
               "installed man page %s" % page)
    found = {}
    for dirpath, _, files in os.walk(dest):
        for fn in files:
            found.setdefault(fn, os.path.join(dirpath, fn))
    tap.ok("secchatd.conf" in found and "secchatd.conf.example" in found,
           "installed the example configuration (and secchatd.conf)")
    unit = found.get("secchatd.service")
    tap.ok(unit is not None, "installed secchatd.service")
    if unit:
        text = open(unit).read()
        tap.ok("@" not in text and os.path.join(prefix, "sbin/secchatd")
               in text, "the unit names the installed daemon")
        tap.ok("ProtectSystem=" in text and "NoNewPrivileges=" in text,
               "the unit carries systemd's hardening")
    # A second install keeps an edited configuration.
    conf = found.get("secchatd.conf")
    if conf:
        with open(conf, "a") as f:
            f.write("# edited by the administrator\n")
        r = subprocess.run(["make", "-C", BUILDDIR, "install",
                            "DESTDIR=" + dest], capture_output=True)
        tap.ok("edited by the administrator" in open(conf).read(),
               "reinstalling never overwrites an existing configuration")

    d = Daemon(bindir=sbin)
    d.start()
    tap.ok(d.port > 0, "the installed secchatd starts")
    a = Client(d, "alice", "alice-pw", binary=os.path.join(bindir, "secchat"))
    b = Client(d, "bob", "bob-pw", binary=os.path.join(bindir, "secchat"))
    ok = a.out.expect(r" login alice$") and b.out.expect(r" login bob$")
    if ok:
        a.send("from the installed client")
        ok = b.out.expect(r" message lobby alice from the installed client$")
    tap.ok(bool(ok), "the installed clients chat through the installed daemon")
    a.send("exit")
    b.send("exit")
    a.wait()
    b.wait()
finally:
    if d:
        d.cleanup()
    shutil.rmtree(dest, ignore_errors=True)
tap.done()
