"""The commands of pipe mode that need the server's away and whois
(protocol section 11.8): /away and the note a private message's sender
gets, /who marking who is away, /whois, /back; and the client's own
/reply and /ignore, whose list survives a restart of the client."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client  # noqa: E402

tap = Tap()
d = Daemon()
try:
    d.start()
    alice = Client(d, "alice", "alice-pw")
    tap.ok(alice.out.expect(r" names lobby ") is not None, "alice logs in")
    bob = Client(d, "bob", "bob-pw")
    tap.ok(bob.out.expect(r" names lobby ") is not None, "bob logs in")
    alice.out.expect(r" arrived lobby bob$")

    alice.send("/away at lunch")
    tap.ok(alice.out.expect(r" away alice at lunch$") is not None,
           "/away: the server confirms with an away line")
    bob.send("/m alice are you there?")
    tap.ok(alice.out.expect(r" private-e2e bob unverified are you there\?$")
           is not None, "bob's /m (alias of /msg) reaches alice end to end")
    tap.ok(bob.out.expect(r" away alice at lunch$") is not None,
           "and bob is told that alice is away")

    bob.send("/w")
    tap.ok(bob.out.expect(r" names lobby ") is not None and
           bob.out.expect(r" away-names lobby alice$") is not None,
           "/w (alias of /who): names, then who is away")

    bob.send("/WHOIS alice")
    line = bob.out.expect(r" whois alice .*")
    line = line.group(0) if line is not None else None
    tap.ok(line is not None and
           re.search(r" whois alice lobby \d+ at lunch$", line),
           "/whois: rooms, idle seconds and the away text: %s" % line)
    key = bob.out.expect(r" whois-key alice .*")
    key = key.group(0) if key is not None else None
    tap.ok(key is not None and
           re.search(r" whois-key alice SHA256:\S+ (seen|new)$", key),
           "and alice's key, with what bob's pins say of it: %s" % key)

    alice.send("/r hello bob")
    tap.ok(bob.out.expect(r" private-e2e alice unverified hello bob$")
           is not None, "/r answers the last private sender end to end")

    alice.send("/back")
    tap.ok(alice.out.expect(r" back alice$") is not None,
           "/back: the server confirms")
    bob.send("/whois alice")
    line = bob.out.expect(r" whois alice .*")
    line = line.group(0) if line is not None else None
    tap.ok(line is not None and re.search(r" whois alice lobby \d+$", line),
           "whois shows no away text any more: %s" % line)
    bob.send("/who")
    tap.ok(bob.out.expect(r" away-names lobby$") is not None,
           "nor does /who")

    # /ignore: hidden, and persisted.
    alice.send("/ignore bob")
    tap.ok(alice.err.expect(r"ignoring bob") is not None,
           "/ignore says so")
    bob.send("from bob, ignored")
    bob.send("/msg alice private, ignored")
    bob.send("/whois alice")
    bob.out.expect(r" whois alice .*")
    alice.send("/whois bob")
    tap.ok(alice.out.expect(r" whois bob ") is not None,
           "alice's own requests still work")
    path = os.path.join(alice.home, "secchat", "ignore")
    tap.ok(os.path.exists(path) and open(path).read() == "bob\n" and
           (os.stat(path).st_mode & 0o777) == 0o600,
           "the ignore list is a file of one name a line, mode 0600")
    alice.send("exit")
    alice.close_stdin()
    tap.ok(alice.wait() == 0, "alice leaves")
    tap.ok(not alice.out.seen(r"ignored"),
           "bob's room line and private message were not shown")

    alice = Client(d, "alice", "alice-pw")
    tap.ok(alice.out.expect(r" names lobby ") is not None, "alice again")
    bob.send("still ignored")
    bob.send("/msg alice still private")
    carol = Client(d, "carol", "carol-pw")
    carol.out.expect(r" names lobby ")
    carol.send("from carol")
    tap.ok(alice.out.expect(r" message lobby carol from carol$")
           is not None, "others are shown")
    tap.ok(not alice.out.seen(r"still"),
           "after a restart bob is still ignored: %s" % alice.out.all)
    alice.send("/unignore bob")
    bob.send("seen again")
    tap.ok(alice.out.expect(r" message lobby bob seen again$") is not None,
           "/unignore shows bob again")
    tap.ok(open(path).read() == "", "and the file is rewritten")

    for c in (alice, bob, carol):
        c.send("exit")
        c.close_stdin()
        c.wait()
finally:
    d.stop()
tap.done()
