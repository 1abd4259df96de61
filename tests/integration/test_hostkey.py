"""Server identity: pinned on first use; a changed host key is refused
before the password is sent, and the server sees no login attempt."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client  # noqa: E402

tap = Tap()
d = Daemon()
try:
    d.start()
    home = os.path.join(d.dir, "alice-home")
    a = Client(d, "alice", "alice-pw", home=home)
    tap.ok(a.out.expect(r" login alice$") is not None,
           "first contact: alice accepts and pins the key")
    a.send("exit")
    a.wait()
    kh = os.path.join(home, "secchat", "known_hosts")
    tap.ok(os.path.exists(kh), "the key is remembered in known_hosts")
    ident = os.path.join(home, "secchat", "identity")
    tap.ok(os.path.exists(ident) and os.stat(ident).st_mode & 0o777 == 0o600,
           "alice's identity key was created with mode 0600")
    a = Client(d, "alice", "alice-pw", home=home, accept_new=False,
               extra=["-o", "StrictHostKeyChecking=yes"])
    tap.ok(a.out.expect(r" login alice$") is not None,
           "second contact in strict mode: the pinned key matches")
    a.send("exit")
    a.wait()

    # Strict mode refuses an unknown server.
    c = Client(d, "bob", "bob-pw", accept_new=False,
               extra=["-o", "StrictHostKeyChecking=yes"])
    tap.ok(c.wait() == 5, "strict mode refuses an unknown host key (exit 5)")

    # Replace the host key; same address and port.
    d.stop()
    d.listen_port = d.port
    d.write_conf()
    os.unlink(d.hostkey)
    os.unlink(d.hostkey + ".pub")
    d.start()
    tap.ok(d.log.seen(r"generated host key"), "the daemon made a new host key")
    a = Client(d, "alice", "alice-pw", home=home)
    rc = a.wait()
    tap.ok(rc == 5, "the client refuses the changed key (exit %r)" % rc)
    err = "\n".join(a.err.all)
    tap.ok("CHANGED" in err.upper() and (kh + ":1") in err,
           "it says so loudly, naming known_hosts and the line")
    d.stop()
    tap.ok(not d.log.seen(r"(Accepted|Failed) login|throttled"),
           "the server's log shows no login attempt from it")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
