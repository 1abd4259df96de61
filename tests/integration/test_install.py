"""make install into a DESTDIR puts everything in place, and the installed
daemon and client work from there.  The installed unit passes
`systemd-analyze verify`, and the PidFile default, the unit's writable
directories and the documents agree."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, BUILDDIR, SRCDIR  # noqa: E402

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
    for path in ("bin/secchat", "sbin/secchatd", "sbin/secchat-passwd",
                 "sbin/secchatctl"):
        p = os.path.join(root, path)
        tap.ok(os.access(p, os.X_OK), "installed %s" % path)
    for page in ("man1/secchat.1", "man5/secchatd.conf.5",
                 "man8/secchatd.8", "man8/secchat-passwd.8",
                 "man8/secchatctl.8"):
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
    # The default PidFile, from the installed daemon with an empty
    # configuration.
    empty_conf = os.path.join(dest, "empty.conf")
    open(empty_conf, "w").close()
    r = subprocess.run([os.path.join(sbin, "secchatd"), "-T", "-f",
                        empty_conf], capture_output=True, text=True)
    m = re.search(r"^pidfile (\S+)$", r.stdout, re.M)
    pidfile = m.group(1) if m else ""
    piddir = os.path.dirname(pidfile)
    tap.ok(piddir != "" and os.path.isdir(piddir),
           "the default PidFile %s is in a directory that exists" % pidfile)
    runstatedir = var("runstatedir")
    if runstatedir in ("/run", "${localstatedir}/run"):
        # configure's default: the documents must name the same file.
        with open(os.path.join(SRCDIR, "man", "secchatd.8")) as f:
            man8 = re.findall(r"^\.It Pa (\S+\.pid)$", f.read(), re.M)
        with open(os.path.join(SRCDIR, "man", "secchatd.conf.5")) as f:
            man5 = re.search(r"^\.It Cm PidFile\n(?:(?!\.It ).*\n)*?"
                             r"\.Pa (\S+) \.$", f.read(), re.M)
        with open(os.path.join(SRCDIR, "contrib", "secchatd.conf")) as f:
            example = re.search(r"^#PidFile (\S+)$", f.read(), re.M)
        documented = (man8 + [man5.group(1) if man5 else "",
                              example.group(1) if example else ""])
        tap.ok(all(p == pidfile for p in documented),
               "secchatd(8), secchatd.conf(5) and the example configuration "
               "name the default PidFile, %s (%s)" %
               (pidfile, ", ".join(documented)))
    else:
        tap.skip("the documents name the default PidFile",
                 "configured with --runstatedir=%s" % runstatedir)
    if unit:
        # systemd refuses to start a unit whose ReadWritePaths= names a
        # directory that does not exist ("-" makes one optional).
        rw = []
        for m in re.finditer(r"^ReadWritePaths=(.*)$", text, re.M):
            rw += m.group(1).split()
        required = [p for p in rw if not p.startswith("-")]
        tap.ok(required and all(os.path.isdir(p) for p in required),
               "every directory the unit needs exists (%s)" %
               " ".join(required))
        tap.ok(piddir in required or piddir in [p.lstrip("-") for p in rw],
               "the unit lets the daemon write its PidFile in %s" % piddir)
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            tap.skip("systemd-analyze verify accepts the installed unit",
                     "systemd-analyze is not installed")
        else:
            # The unit names the daemon where it will be, not under
            # DESTDIR: point the copy that is verified at the staged one.
            m = re.search(r"^ExecStart=(\S+)", text, re.M)
            daemon = m.group(1) if m else ""
            staged = os.path.join(dest, "verify", "secchatd.service")
            os.makedirs(os.path.dirname(staged))
            with open(staged, "w") as f:
                f.write(text.replace("=" + daemon + " ",
                                     "=" + dest + daemon + " "))
            env = dict(os.environ)
            page = found.get("secchatd.8", "")
            env["MANPATH"] = os.path.dirname(os.path.dirname(page))
            r = subprocess.run([analyze, "verify", staged],
                               capture_output=True, text=True, env=env)
            complaints = [l for l in (r.stdout + r.stderr).splitlines()
                          if "secchatd" in l]
            tap.ok(daemon != "" and r.returncode == 0 and not complaints,
                   "systemd-analyze verify accepts the installed unit")
            if r.returncode != 0 or complaints:
                tap.diag(r.stdout + r.stderr)

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
