"""End-to-end private messages (doc/protocol.md section 11): the server
relays them and cannot read them.

alice (two devices) and bob (two devices, each its own identity file)
are logged in.  alice's "/msg bob TEXT" reaches both of bob's devices as
"private-e2e ... unverified" and alice's other device as
"private-e2e-sent".  Then, as root, the memory of every process of the
daemon and its log are searched for the text: it is in none of them.  So
that the search is shown able to find text the server holds, bob's
workers are stopped while alice sends: what the broker has for bob then
waits in its memory, and there a room message and a /plainmsg (the old,
server-readable private message) are found, while an end-to-end message
sent at the same moment is not.

A lying key directory (the SECCHAT_TEST_LYING_DIRECTORY hook) cannot
redirect a message to a peer alice has verified; /verify prints the same
safety number on both sides (and the one computed here from the spec);
and the fallbacks: bob offline, a server without the extensions, and a
client of version 1 against the new server.
"""

import base64
import hashlib
import os
import re
import secrets
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, SECCHAT,  # noqa
                     SECCHATD, IS_ROOT, WAIT, key_fingerprint,
                     parse_str, process_titles, scan_memory, wstr)

USERS = (("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw"),
         ("dave", "dave-pw"))
FILL_TEXT = 4000          # under MaxMessageLength's default 4096
FILL_COUNT = 256          # 1 MB: well past a socket pair's buffer
CONF = ("FloodBurst 1000\nFloodRate 1000\nSendQueueSize 16M\n")

tap = Tap()


def built_with(text, path):
    try:
        with open(path, "rb") as f:
            return text in f.read()
    except OSError:
        return False


def marker(what):
    return "%s%s" % (what, secrets.token_hex(12))


def identity(d, name):
    """A device: its home and identity file, made by `secchat -K` as a
    first run would; returns (home, path, public key)."""
    home = os.path.join(d.dir, "home-" + name)
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, XDG_CONFIG_HOME=home, HOME=home)
    r = subprocess.run([SECCHAT, "-K"], stdin=subprocess.DEVNULL,
                       capture_output=True, env=env, timeout=WAIT)
    m = re.fullmatch(r"secchat-x25519 ([A-Za-z0-9+/]{43}=)( .*)?\n",
                     r.stdout.decode())
    if r.returncode != 0 or not m:
        raise RuntimeError("secchat -K for %s: %d %r %r" %
                           (name, r.returncode, r.stdout, r.stderr))
    return home, os.path.join(home, "secchat", "identity"), \
        base64.b64decode(m.group(1))


def device(d, user, dev):
    """A logged-in pipe-mode client of user on the device dev."""
    home, path, key = dev
    c = Client(d, user, dict(USERS)[user], home=home, extra=["-i", path])
    c.key = key
    ok = c.out.expect(r" login %s$" % user) is not None
    # NAMES comes from the broker: it has the session (and its key).
    ok = ok and c.out.expect(r" names lobby ") is not None
    return c, ok


def daemon_pids(d):
    return [d.pid()] + [p for p, _ in d.children()]


def safety_fp(key, user):
    """One party's 30 digits, doc/protocol.md 11.6."""
    k = b"\x05" + key
    h = b"\x00\x00" + k + user.encode()
    for _ in range(5200):
        h = hashlib.sha512(h + k).digest()
    return "".join("%05d" % (int.from_bytes(h[i:i + 5], "big") % 100000)
                   for i in range(0, 30, 5))


def safety_number(key1, user1, key2, user2):
    a, b = safety_fp(key1, user1), safety_fp(key2, user2)
    return min(a, b) + max(a, b)


def safety_lines(c, user):
    """{fingerprint: (60 digits, status)} from the answer to /verify."""
    out = {}
    c.send("/verify " + user)
    rx = r" safety-number %s (SHA256:\S+) ([0-9][0-9 ]*[0-9]) " \
         r"(verified|seen)$" % user
    m = c.out.expect(rx)
    while m:
        out[m.group(1)] = (m.group(2).replace(" ", ""), m.group(3))
        m = c.out.expect(rx, timeout=1)
    return out


def quit_all(clients):
    for c in clients:
        c.send("exit")
    for c in clients:
        if c.wait() is None:
            c.kill()


def start(d, env=None, args=("-d",)):
    """Start d with debug logging (the broker's e2e lines) and, for the
    start only, the test hooks' environment."""
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        d.start(args)
    finally:
        for k, v in saved.items():
            if v is None:
                del os.environ[k]
            else:
                os.environ[k] = v
    if not d.log.wait_seen(r"^ready$"):
        raise RuntimeError("secchatd not ready")


def server_hello(r, offered):
    """The server hello's bytes: the prologue after a client hello that
    offered that many ids."""
    return r.prologue[9 + offered:]


def e2e_lines(d, frm, to, fp=None):
    return d.log.seen(r"e2e %s -> %s device %s" %
                      (frm, to, re.escape(fp) if fp else "SHA256:\\S+"))


# ------------------------------------------------------------ the main run

def main_run():
    d = Daemon(users=USERS, extra_conf=CONF)
    clients = []
    try:
        start(d)
        ids = {n: identity(d, n) for n in
               ("alice", "alice2", "bob1", "bob2")}
        alice, ok1 = device(d, "alice", ids["alice"])
        alice2, ok2 = device(d, "alice", ids["alice2"])
        bob1, ok3 = device(d, "bob", ids["bob1"])
        bob2, ok4 = device(d, "bob", ids["bob2"])
        clients += [alice, alice2, bob1, bob2]
        carol = Client(d, "carol", "carol-pw")
        clients.append(carol)
        ok5 = carol.out.expect(r" names lobby ") is not None
        tap.ok(ok1 and ok2 and ok3 and ok4 and ok5,
               "alice on two devices, bob on two devices, carol log in")
        tap.ok(len({c.key for c in (alice, alice2, bob1, bob2)}) == 4,
               "each device has its own identity key")

        # 1. Delivery to every device, and the copy to alice's other one.
        m1 = marker("e2e")
        alice.send("/msg bob " + m1)
        for name, c in (("bob's first", bob1), ("bob's second", bob2)):
            tap.ok(c.out.expect(r" private-e2e alice unverified %s$" % m1)
                   is not None, "%s device prints the message as "
                   "private-e2e, unverified" % name)
        tap.ok(alice2.out.expect(r" private-e2e-sent bob "
                                 r"(verified|unverified) %s$" % m1)
               is not None, "alice's other device prints the copy as "
               "private-e2e-sent")
        new = alice.out.wait_seen(r" key-new bob SHA256:")
        want = {key_fingerprint(bob1.key), key_fingerprint(bob2.key)}
        got = {l.split()[-1] for l in alice.out.seen(r" key-new bob ")}
        tap.ok(got == want, "alice pins bob's two device keys on first "
               "use, with key-new lines naming them (%s)" % new)
        tap.ok(not bob1.out.seen(r" private alice ") and
               not bob2.out.seen(r" private alice "),
               "and no server-readable private line was printed")
        for c, what in ((bob1, "first"), (bob2, "second")):
            tap.ok(d.log.wait_seen(r"e2e alice -> bob device %s \d+ bytes$"
                                   % re.escape(key_fingerprint(c.key))),
                   "the broker logs the relay to bob's %s device by its "
                   "key, with the payload's size only" % what)
        tap.ok(d.log.wait_seen(r"e2e alice -> alice device %s \d+ bytes$" %
                               re.escape(key_fingerprint(alice2.key))),
               "and the copy to alice's other device")

        # 4. Safety numbers.
        sa = safety_lines(alice, "bob")
        sb = safety_lines(bob1, "alice")
        want = safety_number(alice.key, "alice", bob1.key, "bob")
        fa, fb = key_fingerprint(alice.key), key_fingerprint(bob1.key)
        tap.diag("alice: %r\nbob: %r" % (sa, sb))
        tap.ok(set(sa) == {fb, key_fingerprint(bob2.key)},
               "alice's /verify bob lists bob's two keys")
        tap.ok(fb in sa and fa in sb and sa[fb][0] == sb[fa][0] and
               len(sa[fb][0]) == 60,
               "alice's /verify bob and bob's /verify alice print the same "
               "60 digits for the same two keys")
        tap.ok(fb in sa and sa[fb][0] == want,
               "the number is the one doc/protocol.md 11.6 defines (%s)" %
               want)
        tap.ok(all(s == "seen" for _, s in sa.values()),
               "bob's keys are pinned as seen")
        alice.send("/trust bob")
        sa = safety_lines(alice, "bob")
        tap.ok(len(sa) == 2 and all(s == "verified" for _, s in
                                    sa.values()),
               "after /trust bob they are verified: %r" % sa)

        # 2. /plainmsg: the old private message, not end to end.
        p1 = marker("plain")
        alice.send("/plainmsg bob " + p1)
        tap.ok(bob1.out.expect(r" private alice %s$" % p1) is not None and
               bob2.out.expect(r" private alice %s$" % p1) is not None,
               "/plainmsg reaches both of bob's devices as a private line "
               "(not private-e2e)")

        # 1 and 2: the memory of every process of the daemon.
        sync = marker("sync")
        if not IS_ROOT:
            tap.skip("the daemon's memory is searched",
                     "needs root to read the non-dumpable children's "
                     "memory")
        else:
            bobs = [p for p, cmd in d.children()
                    if cmd.startswith("secchatd: worker") and
                    cmd.endswith(" bob")]
            brokers = d.role_pids("secchatd: broker")
            tap.ok(len(bobs) == 2 and len(brokers) == 1,
                   "found bob's two workers and the broker (%r)" %
                   d.children())
            # bob's workers stop reading: what the broker has for bob
            # stays in its memory once their sockets' buffers are full.
            for p in bobs:
                os.kill(p, signal.SIGSTOP)
            try:
                room = marker("room")
                fill = room + " " + "x" * (FILL_TEXT - len(room) - 1)
                for _ in range(FILL_COUNT):
                    alice.send(fill)
                m2 = marker("e2e")
                p2 = marker("plain")
                alice.send("/msg bob " + m2)
                alice.send("/plainmsg bob " + p2)
                alice.send(sync)
                # carol hears the last of it: the broker has handled all.
                tap.ok(carol.out.expect(r" message lobby alice %s$" % sync,
                                        timeout=WAIT * 3) is not None,
                       "with bob's workers stopped, alice sends 1 MB to the "
                       "room, a /msg and a /plainmsg to bob")
                tap.ok(alice2.out.expect(r" private-e2e-sent bob \S+ %s$" %
                                         m2) is not None,
                       "the /msg was sent end to end (alice's other device "
                       "has its copy)")
                pids = daemon_pids(d)
                hits, unread = scan_memory(pids, [m1.encode(), m2.encode(),
                                                  p2.encode(), room.encode()])
                if unread:
                    tap.skip("the daemon's memory is searched",
                             "could not read %r" % unread)
                else:
                    tap.diag("searched %s" %
                             ", ".join(process_titles(d, pids)))
                    tap.ok(brokers[0] in hits[room.encode()],
                           "control: a room message's text is found in "
                           "the broker's memory")
                    tap.ok(brokers[0] in hits[p2.encode()],
                           "control: the /plainmsg text waiting for bob is "
                           "found in the broker's memory (the server can "
                           "read it): %s" %
                           process_titles(d, hits[p2.encode()]))
                    tap.ok(not hits[m2.encode()],
                           "the /msg text sent at the same moment is in no "
                           "process of the daemon: %s" %
                           process_titles(d, hits[m2.encode()]))
                    tap.ok(not hits[m1.encode()],
                           "nor is the first /msg's text: %s" %
                           process_titles(d, hits[m1.encode()]))
            finally:
                for p in bobs:
                    os.kill(p, signal.SIGCONT)
            # The /msg waits for the key directory, so the /plainmsg may
            # arrive first: look at every line, in either order.
            for c, what in ((bob1, "first"), (bob2, "second")):
                tap.ok(c.out.wait_seen(r" private-e2e alice unverified %s$"
                                       % m2, timeout=WAIT * 2) and
                       c.out.wait_seen(r" private alice %s$" % p2),
                       "bob's workers go on: his %s device gets both" %
                       what)
        log = "\n".join(d.log.all)
        tap.ok(m1 not in log and not re.search(r"e2e[0-9a-f]{24}", log),
               "no /msg text is in the daemon's log")

        # 5. The old client of version 1: no capability offered.
        r = RawClient(d.port)
        r.hello()
        tap.ok(server_hello(r, 1) == b"SECCHAT1\x02",
               "a client that offers no capability gets a server hello "
               "without one")
        r.handshake(bytes([MSG["AUTH"]]) + wstr("dave") + wstr("dave-pw"))
        tap.ok(r.recv_msg()[0] == MSG["AUTH_OK"],
               "an old-style client logs in")
        tap.ok(alice.out.expect(r" arrived lobby dave$") is not None,
               "alice sees dave arrive")
        old = marker("old")
        r.say("lobby", old)
        tap.ok(alice.out.expect(r" message lobby dave %s$" % old)
               is not None, "alice hears the old-style client")
        new = marker("new")
        alice.send(new)
        got = None
        while True:
            m = r.recv_until(MSG["MESSAGE"])
            if m is None:
                break
            room_, off = parse_str(m, 9)
            sender, off = parse_str(m, off)
            text, off = parse_str(m, off)
            if sender == "alice" and text == new:
                got = text
                break
        tap.ok(got == new, "and receives alice's room message")
        pm = marker("plain")
        alice.send("/plainmsg dave " + pm)
        m = r.recv_until(MSG["PRIVATE"])
        tap.ok(m is not None and pm.encode() in m,
               "and her /plainmsg, as a PRIVATE")
        alice.send("/msg dave " + marker("e2e"))
        tap.ok(alice.out.expect(r" e2e-failed dave \S") is not None,
               "alice's /msg to a user with no end-to-end session gives "
               "e2e-failed: %s" % alice.out.seen(r" e2e-failed dave "))
        r.close()

        # 5. bob offline.
        quit_all([bob1, bob2])
        tap.ok(alice.out.expect(r" departed lobby bob ") is not None,
               "bob leaves on both devices")
        before = len(e2e_lines(d, "alice", "bob"))
        off = marker("e2e")
        alice.send("/msg bob " + off)
        tap.ok(alice.out.expect(r" e2e-failed bob \S") is not None,
               "with bob offline alice's /msg gives e2e-failed: %s" %
               alice.out.seen(r" e2e-failed bob "))
        alice.send(sync + "2")
        carol.out.expect(r" message lobby alice %s2$" % sync)
        tap.ok(not [l for l in e2e_lines(d, "alice", "bob")[before:]
                    if re.search(r" \d+ bytes$", l)],
               "and nothing was relayed to bob")
        quit_all([alice, alice2, carol])
    finally:
        for c in clients:
            c.kill()
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-200:]))


# ------------------------------------------------------------ lying directory

def lying_directory():
    d = Daemon(users=USERS)
    lie = os.urandom(32)
    clients = []
    try:
        start(d, {"SECCHAT_TEST_LYING_DIRECTORY":
                  base64.b64encode(lie).decode()})
        bdev = identity(d, "bob")
        adev = identity(d, "alice")
        bob, ok = device(d, "bob", bdev)
        clients.append(bob)
        tap.ok(ok, "lying directory: bob logs in")
        # alice has bob's real key pinned and verified, for this server
        # named as known_hosts names it.
        with open(os.path.join(bdev[0], "secchat", "known_hosts")) as f:
            hostport = [l.split()[0] for l in f
                        if l.strip() and not l.startswith("#")][0]
        peers = os.path.join(adev[0], "secchat", "known_peers")
        with open(peers, "w") as f:
            f.write("%s bob verified %s\n" %
                    (hostport, base64.b64encode(bob.key).decode()))
        os.chmod(peers, 0o600)
        alice, ok = device(d, "alice", adev)
        clients.append(alice)
        tap.ok(ok, "alice, who has verified bob's key, logs in")
        m = marker("e2e")
        alice.send("/msg bob " + m)
        got = alice.out.expect(r" (key-changed bob|e2e-failed bob) ")
        tap.diag("alice: %s" % "\n".join(alice.out.all))
        tap.ok(got is not None, "alice is told: key-changed or e2e-failed")
        changed = alice.out.seen(r" key-changed bob ")
        tap.ok(not changed or all(l.endswith(" " + key_fingerprint(lie))
                                  for l in changed),
               "a key-changed line names the directory's key")
        sync = marker("sync")
        alice.send(sync)
        tap.ok(bob.out.expect(r" message lobby alice %s$" % sync)
               is not None, "the broker has handled all alice sent")
        tap.ok(not e2e_lines(d, "alice", "bob", key_fingerprint(lie)),
               "nothing was relayed to bob under the directory's key: %s" %
               e2e_lines(d, "alice", "bob"))
        # The directory lies about alice's own devices too; a copy to a
        # device she never pinned is first contact (security.md 4.10).
        tap.diag("copies alice sent to her own \"devices\": %s" %
                 e2e_lines(d, "alice", "alice"))
        tap.diag("bob got it on his real key: %s" %
                 bool(bob.out.seen(r" private-e2e alice \S+ %s$" % m)))
        quit_all([alice, bob])
    finally:
        for c in clients:
            c.kill()
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-100:]))


# ------------------------------------------------------------ no extensions

def no_extensions():
    d = Daemon(users=USERS)
    clients = []
    try:
        start(d, {"SECCHAT_TEST_NO_EXTENSIONS": "1"})
        r = RawClient(d.port)
        r.hello(suites=(2, 0x81))
        tap.ok(server_hello(r, 2) == b"SECCHAT1\x02",
               "a server without the extensions does not agree to 0x81")
        r.close()
        alice, ok1 = device(d, "alice", identity(d, "alice"))
        bob, ok2 = device(d, "bob", identity(d, "bob"))
        clients += [alice, bob]
        tap.ok(ok1 and ok2, "no extensions: alice and bob log in")
        m = marker("e2e")
        alice.send("/msg bob " + m)
        # Either an e2e-failed event, or (as the client does when it knows
        # before sending anything) a refusal of the command on stderr.
        got = alice.out.expect(r" e2e-failed bob (.+)$", timeout=WAIT / 2)
        why = got.group(1) if got else "\n".join(
            alice.err.wait_seen(r"/msg: .*end-to-end"))
        tap.ok(got is not None or why,
               "/msg gives e2e-failed or is refused")
        tap.ok(re.search(r"end-to-end.*(unavailable|not available)|"
                         r"(unavailable|not available).*end-to-end", why),
               "saying end-to-end is unavailable (%s)" % why)
        p = marker("plain")
        alice.send("/plainmsg bob " + p)
        tap.ok(bob.out.expect(r" private alice %s$" % p) is not None,
               "/plainmsg still works")
        tap.ok(not bob.out.seen(m), "the /msg text was not sent at all")
        quit_all([alice, bob])
    finally:
        for c in clients:
            c.kill()
        d.cleanup()
        if tap.failed and d.log:
            tap.diag("\n".join(d.log.all[-100:]))


def agrees():
    """The new server appends 0x81 for a client that offers it."""
    d = Daemon(users=USERS)
    try:
        d.start()
        r = RawClient(d.port)
        r.hello(suites=(2, 0x81))
        tap.ok(server_hello(r, 2) == b"SECCHAT1\x02\x81",
               "the server agrees to 0x81 in its hello when offered")
        r.close()
    finally:
        d.cleanup()


# This file's own safety numbers against libsignal's published vector
# (NumericFingerprintGeneratorTest: displayable fingerprint, 5200
# iterations), so that a match with the client means the spec's number.
SIGNAL_A = bytes.fromhex("06863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6"
                         "fcca5ce13c7064d868")
SIGNAL_B = bytes.fromhex("f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae8144"
                         "02b5c0dbd96fda907b")
tap.ok(safety_number(SIGNAL_A, "+14152222222", SIGNAL_B, "+14153333333") ==
       "300354477692869396892869876765458257569162576843440918079131",
       "the test's safety number agrees with libsignal's test vector")

hooks = built_with(b"SECCHAT_TEST_LYING_DIRECTORY", SECCHATD)
agrees()
main_run()
if hooks:
    lying_directory()
else:
    tap.skip("lying directory", "built without --enable-test-hooks")
if built_with(b"SECCHAT_TEST_NO_EXTENSIONS", SECCHATD):
    no_extensions()
else:
    tap.skip("no extensions", "built without --enable-test-hooks")
tap.done()
