"""Three clients chat in the lobby; exit leaves cleanly and others see it."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client  # noqa: E402

tap = Tap()
d = Daemon()
clients = []
try:
    d.start()
    tap.ok(d.port > 0, "secchatd listens on an ephemeral port")
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" login alice$") is not None, "alice logs in")
    tap.ok(a.out.expect(r" names lobby .*alice") is not None,
           "alice is put in the lobby and told who is there")
    b = Client(d, "bob", "bob-pw")
    tap.ok(b.out.expect(r" login bob$") is not None, "bob logs in")
    tap.ok(a.out.expect(r" arrived lobby bob$") is not None,
           "alice sees bob arrive")
    c = Client(d, "carol", "carol-pw")
    tap.ok(c.out.expect(r" login carol$") is not None, "carol logs in")
    tap.ok(b.out.expect(r" arrived lobby carol$") is not None,
           "bob sees carol arrive")
    tap.ok(a.out.expect(r" arrived lobby carol$") is not None,
           "alice sees carol arrive")
    clients = [a, b, c]

    a.send("hello from alice")
    tap.ok(b.out.expect(r" message lobby alice hello from alice$")
           is not None, "bob receives alice's message")
    tap.ok(c.out.expect(r" message lobby alice hello from alice$")
           is not None, "carol receives alice's message")
    # Ordering: a marker from bob after alice's message; when alice has
    # bob's marker she would have had her own echo before it.
    b.send("marker from bob")
    tap.ok(a.out.expect(r" message lobby bob marker from bob$") is not None,
           "alice receives bob's message")
    tap.ok(not [l for l in a.out.all if "hello from alice" in l],
           "alice's own message is not echoed to her")

    for i in range(10):
        a.send("seq %d" % i)
    got = []
    for i in range(10):
        m = c.out.expect(r" message lobby alice (seq \d+)$")
        got.append(m.group(1) if m else None)
    tap.ok(got == ["seq %d" % i for i in range(10)],
           "ten messages arrive in order")

    b.send("exit")
    tap.ok(b.wait() == 0, "exit ends bob's client with status 0")
    tap.ok(a.out.expect(r" departed lobby bob quit$") is not None,
           "alice sees bob leave")
    tap.ok(c.out.expect(r" departed lobby bob quit$") is not None,
           "carol sees bob leave")
    tap.ok(d.log.expect(r"Disconnected bob from 127\.0\.0\.1") is not None,
           "the daemon logs bob's departure")

    c.send("still here")
    tap.ok(a.out.expect(r" message lobby carol still here$") is not None,
           "alice and carol go on chatting")

    a.send("/join side")
    tap.ok(a.out.expect(r" joined side$") is not None, "alice joins room side")
    c.send("/join side")
    tap.ok(a.out.expect(r" arrived side carol$") is not None,
           "alice sees carol join side")
    a.send("/plainmsg carol psst")
    tap.ok(c.out.expect(r" private alice psst$") is not None,
           "carol receives alice's private message")
    a.send("/plainmsg nobody-here hi")
    tap.ok(a.out.expect(r" error 3 ") is not None,
           "a private message to nobody gets an error")

    a.close_stdin()
    tap.ok(a.wait() == 8, "EOF on stdin leaves cleanly, with status 8 "
           "for the /plainmsg the server refused")
    tap.ok(c.out.expect(r" departed (lobby|side) alice quit$") is not None,
           "carol sees alice leave")
    # History: a newcomer to the lobby gets the recent messages, marked.
    e = Client(d, "bob", "bob-pw")
    tap.ok(e.out.expect(r" history lobby alice seq 9$") is not None,
           "a joining session gets the lobby's history, marked as history")
    e.send("exit")
    e.wait()
    c.send("exit")
    tap.ok(c.wait() == 0, "carol leaves")
finally:
    for cl in clients:
        cl.kill()
    d.cleanup()
    if tap.failed:
        tap.diag("daemon log:\n" + "\n".join(d.log.all if d.log else []))
tap.done()
