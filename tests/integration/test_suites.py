"""Both cipher suites work when forced; an unknown suite is refused."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, RawClient, MSG  # noqa: E402


def cpu_has_aes():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return " aes " in flags and " pclmulqdq " in flags
    except OSError:
        return False


tap = Tap()
d = Daemon()
try:
    d.start()
    r = RawClient(d.port)
    tap.ok(r.hello((2,)) == 2, "the server chooses ChaChaPoly when offered only it")
    r.close()
    r = RawClient(d.port)
    ok = r.login("alice", "alice-pw", suites=(2,))
    tap.ok(ok[0] == MSG["AUTH_OK"], "an independent ChaChaPoly client logs in")
    r.close()
    if cpu_has_aes():
        r = RawClient(d.port)
        tap.ok(r.hello((1, 2)) == 1, "the server prefers AES-GCM on this CPU")
        r.close()
        r = RawClient(d.port)
        ok = r.login("alice", "alice-pw", suites=(1,))
        tap.ok(ok[0] == MSG["AUTH_OK"], "an independent AES-GCM client logs in")
        r.close()
    else:
        tap.skip("AES-GCM suite", "no AES-NI on this CPU")
        tap.skip("AES-GCM login", "no AES-NI on this CPU")

    for name in ("chacha20-poly1305", "aes256-gcm"):
        if name == "aes256-gcm" and not cpu_has_aes():
            tap.skip("secchat -o Ciphers=" + name, "no AES-NI on this CPU")
            continue
        a = Client(d, "alice", "alice-pw", extra=["-o", "Ciphers=" + name])
        b = Client(d, "bob", "bob-pw", extra=["-o", "Ciphers=" + name])
        good = (a.out.expect(r" login alice$") is not None and
                b.out.expect(r" login bob$") is not None)
        if good:
            b.send("via " + name)
            good = a.out.expect(r" message lobby bob via " + name) is not None
        tap.ok(good, "secchat forced to %s chats" % name)
        a.send("exit")
        b.send("exit")
        a.wait()
        b.wait()

    r = RawClient(d.port)
    suite = r.hello((0x7f,))
    tap.ok(suite == 0 and r.closed(),
           "an unknown suite alone is refused with 0x00 and the connection "
           "closed (%r)" % r.refusal)
    c = Client(d, "alice", "alice-pw", extra=["-o", "Ciphers=0x7f"])
    tap.ok(c.wait() == 6, "secchat offering only an unknown suite exits 6")
    tap.ok(any("suite" in l for l in c.err.all),
           "and says there is no common cipher suite")
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
