"""Engine redis: three secchatd nodes share rooms, presence, private
messages and history through a redis-server of the test's own, on a Unix
socket in a temporary directory (never the system's).

The delivery audit (every message exactly once, each sender's order kept,
one order per room that every node agrees on), presence, WHO, ROOMS and
private messages across nodes; history that outlives every node; a node
killed with SIGKILL whose users depart on the others within the
heartbeat's bound; a Redis restart in the middle of traffic that loses
and duplicates nothing; away and whois (protocol section 11.8) across
nodes, with extended clients: the away state is the user's wherever its
sessions are, and goes with the last of them, also when a node dies.  Skipped, with the reason, when redis-server is
not installed or secchatd was built without the Redis engine."""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG,  # noqa: E402
                     parse_str, wstr)
from extclient import ExtClient  # noqa: E402
from redisfix import RedisServer, find_redis  # noqa: E402

# Section 11.8's messages, which the harness's table leaves out.
MSG = dict(MSG, AWAY=0x2C, WHOIS=0x2D, AWAYNOTE=0x1A, WHOISINFO=0x2E,
           AWAYNAMES=0x2F)

tap = Tap()
USERS = [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw"),
         ("dave", "dave-pw"), ("erin", "erin-pw"), ("frank", "frank-pw"),
         ("gina", "gina-pw")]
DEAD_BOUND = 15.0   # the heartbeat's expiry (5 s) and checks, with margin


def skip_all(why):
    tap.skip("three Redis nodes", why)
    tap.done()


def node_conf(redis, name, prefix):
    return ("Engine redis\nRedisAddress %s\nNodeName %s\n"
            "RedisKeyPrefix %s\nHistoryLength 20\nFloodBurst 1000\n"
            "FloodRate 1000\n" % (redis.sock, name,
                                                       prefix))


def parse_names(m):
    room, off = parse_str(m, 1)
    n = struct.unpack(">H", m[off:off + 2])[0]
    off += 2
    users = []
    for _ in range(n):
        u, off = parse_str(m, off)
        users.append(u)
    return room, users


class Peer:
    """A RawClient and what it was sent, by kind."""

    def __init__(self, node, user, ext=False):
        self.user = user
        if ext:
            # Capability 0x81: the extensions of section 11.
            self.c = ExtClient(node.port)
            m = self.c.password_login(user, user + "-pw")
        else:
            self.c = RawClient(node.port)
            m = self.c.login(user, user + "-pw")
        if m[0] != MSG["AUTH_OK"]:
            raise RuntimeError("%s: no AUTH_OK" % user)
        self.c.sock.settimeout(1.0)
        self.msgs = []       # (room, sender, text) of MESSAGE, in order
        self.events = []     # every other message

    def pump(self, until, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until():
                return True
            try:
                m = self.c.recv_msg()
            except socket.timeout:
                continue
            if m[0] == MSG["MESSAGE"]:
                room, off = parse_str(m, 9)
                sender, off = parse_str(m, off)
                text, off = parse_str(m, off)
                self.msgs.append((room, sender, text))
            else:
                self.events.append(m)
        return until()

    def send(self, type_, *fields):
        self.c.send_msg(bytes([MSG[type_]]) + b"".join(wstr(f)
                                                        for f in fields))

    def names(self, room):
        """A WHO, and the users of the NAMES that answers it."""
        self.events = [e for e in self.events if e[0] != MSG["NAMES"]]
        self.send("WHO", room)
        got = []

        def seen():
            for e in self.events:
                if e[0] == MSG["NAMES"] and parse_names(e)[0] == room:
                    got.append(parse_names(e)[1])
                    return True
            return False
        self.pump(seen, 10)
        return got[0] if got else None

    def wait_names(self, room, want, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = self.names(room)
            if n is not None and sorted(n) == sorted(want):
                return True
            time.sleep(0.2)
        return False

    def find(self, type_, pred=lambda m: True, timeout=20.0):
        def seen():
            return any(e[0] == MSG[type_] and pred(e) for e in self.events)
        return self.pump(seen, timeout)


def parse_awaynote(m):
    user, off = parse_str(m, 1)
    text, off = parse_str(m, off)
    return user, text


def parse_whois(m):
    """WHOISINFO: user, rooms, idle (ms), away text, number of keys."""
    user, off = parse_str(m, 1)
    rooms, off = parse_str(m, off)
    idle = struct.unpack(">Q", m[off:off + 8])[0]
    away, off = parse_str(m, off + 8)
    nkeys = struct.unpack(">H", m[off:off + 2])[0]
    return user, rooms, idle, away, nkeys


def note_is(user, text):
    return lambda m: parse_awaynote(m) == (user, text)


def whois(p, user, timeout=10.0):
    """A WHOIS and its WHOISINFO, parsed (None if an ERROR came, or
    nothing)."""
    p.events = [e for e in p.events
                if e[0] not in (MSG["WHOISINFO"], MSG["ERROR"])]
    p.send("WHOIS", user)

    def answered():
        return any(e[0] == MSG["ERROR"] or (e[0] == MSG["WHOISINFO"] and
                                            parse_whois(e)[0] == user)
                   for e in p.events)
    p.pump(answered, timeout)
    if not any(e[0] == MSG["WHOISINFO"] for e in p.events):
        return None
    return [parse_whois(e) for e in p.events
            if e[0] == MSG["WHOISINFO"]][-1]


def wait_whois(p, user, pred, timeout=10.0):
    """WHOIS until pred(answer): the replica of p's node follows the log."""
    deadline = time.monotonic() + timeout
    w = None
    while time.monotonic() < deadline:
        w = whois(p, user)
        if w is not None and pred(w):
            return w, True
        time.sleep(0.1)
    return w, False


def away_names(p, room):
    """An extended WHO: the users of the AWAYNAMES after NAMES."""
    p.events = [e for e in p.events if e[0] != MSG["AWAYNAMES"]]
    p.send("WHO", room)
    if not p.find("AWAYNAMES", lambda m: parse_names(m)[0] == room, 10):
        return None
    return [parse_names(e)[1] for e in p.events
            if e[0] == MSG["AWAYNAMES"]][-1]


def departed(user):
    def pred(m):
        room, off = parse_str(m, 9)
        u, off = parse_str(m, off)
        return u == user
    return pred


def audit(senders, observers, room, count, tag):
    """Each sender says count numbered lines; each observer must get each
    exactly once, each sender's in order, and all in one order."""
    want = {}
    for s in senders:
        for i in range(count):
            s.send("SAY", room, "%s %s %d" % (tag, s.user, i))
        want[s.user] = ["%s %s %d" % (tag, s.user, i) for i in range(count)]
    total = count * len(senders)
    ok = True
    orders = []
    for o in observers:
        def mine():
            return len([x for x in o.msgs if x[2].startswith(tag + " ")]) \
                >= total
        o.pump(mine, 60)
        got = [x for x in o.msgs if x[2].startswith(tag + " ")]
        orders.append([x[2] for x in got])
        for s in senders:
            seq = [x[2] for x in got if x[1] == s.user]
            if seq != want[s.user]:
                tap.diag("%s got %d of %s's %s lines (want %d)" % (
                    o.user, len(seq), s.user, tag, count))
                ok = False
        if len(got) != total:
            ok = False
    same = all(x == orders[0] for x in orders)
    return ok, same


def main():
    rpath, why = find_redis()
    if rpath is None:
        skip_all(why)

    redis = RedisServer(rpath)
    nodes = []
    peers = []
    try:
        if not tap.ok(redis.start(), "redis-server on a Unix socket"):
            tap.done()
        prefix = "t%d" % os.getpid()
        for i in range(3):
            d = Daemon(users=USERS,
                       extra_conf=node_conf(redis, "n%d" % (i + 1), prefix))
            d.start()
            nodes.append(d)
        tap.ok(True, "three nodes started")

        # Senders alice, bob, carol; observers dave, erin, frank: one of
        # each kind on every node.
        alice, bob, carol = (Peer(nodes[0], "alice"), Peer(nodes[1], "bob"),
                             Peer(nodes[2], "carol"))
        dave, erin, frank = (Peer(nodes[0], "dave"), Peer(nodes[1], "erin"),
                             Peer(nodes[2], "frank"))
        peers = [alice, bob, carol, dave, erin, frank]
        everyone = [p.user for p in peers]
        tap.ok(all(p.wait_names("lobby", everyone) for p in peers),
               "WHO lobby on every node lists the six users of three "
               "nodes")

        ok, same = audit([alice, bob, carol], [dave, erin, frank],
                         "lobby", 100, "a1")
        tap.ok(ok, "audit: every message exactly once, each sender's "
               "order kept, on every node")
        tap.ok(same, "audit: one order of the room on all three nodes")

        # ROOMS across nodes.
        alice.send("JOIN", "side")
        alice.pump(lambda: any(e[0] == MSG["JOINED"] for e in alice.events))
        tap.ok(erin.wait_names("side", ["alice"]),
               "WHO of a room whose only member is on another node")
        erin.send("ROOMS")
        ok = erin.find("ROOMLIST", lambda m: b"side" in m and
                       b"lobby" in m)
        tap.ok(ok, "ROOMS on node 2 lists a room of node 1")

        # Presence: a joiner on another node is announced.
        carol.send("JOIN", "side")
        tap.ok(alice.find("ARRIVED", lambda m: b"carol" in m),
               "ARRIVED across nodes")

        # Private messages across nodes.
        alice.send("PRIVMSG", "bob", "psst across nodes")
        tap.ok(bob.find("PRIVATE", lambda m: b"psst across nodes" in m),
               "PRIVMSG to a user on another node")
        alice.send("PRIVMSG", "nobody-here", "x")
        tap.ok(alice.find("ERROR"), "PRIVMSG to nobody: an error")

        # Away and whois across nodes (section 11.8), extended sessions:
        # alice on nodes 1 and 3, bob on node 2, carol on node 3.
        ax1, bx2 = Peer(nodes[0], "alice", True), Peer(nodes[1], "bob", True)
        ax3, cx3 = Peer(nodes[2], "alice", True), Peer(nodes[2], "carol", True)
        peers += [ax1, bx2, ax3, cx3]
        tap.ok(all(p.c.extended for p in (ax1, bx2, ax3, cx3)),
               "four extended sessions on three nodes")
        w, ok = wait_whois(bx2, "alice", lambda w: w[4] == 2)
        tap.ok(ok, "WHOIS from node 2 lists the keys of alice's two "
               "extended sessions, on nodes 1 and 3: %r" % (w,))
        ax1.send("AWAY", "at lunch")
        tap.ok(ax1.find("AWAYNOTE", note_is("alice", "at lunch")) and
               ax3.find("AWAYNOTE", note_is("alice", "at lunch")),
               "AWAY on node 1 is confirmed to alice's extended sessions "
               "on nodes 1 and 3")
        tap.ok(not alice.find("AWAYNOTE", timeout=0.5),
               "and not to her plain session")
        # Node 2 learns it from the log; then bob writes to alice.
        w, ok = wait_whois(bx2, "alice", lambda w: w[3] == "at lunch")
        tap.ok(ok, "WHOIS from node 2 shows the away text set on node 1")
        bx2.events = []
        bx2.send("PRIVMSG", "alice", "lunch?")
        tap.ok(bx2.find("AWAYNOTE", note_is("alice", "at lunch")),
               "PRIVMSG from node 2 to alice, away on node 1: AWAYNOTE")
        tap.ok(ax1.find("PRIVATE", lambda m: b"lunch?" in m) and
               ax3.find("PRIVATE", lambda m: b"lunch?" in m),
               "and the message reaches her sessions on both nodes")
        bx2.send("PRIVMSG", "alice", "still there?")
        ax1.find("PRIVATE", lambda m: b"still there?" in m)
        whois(bx2, "alice")
        notes = [e for e in bx2.events if e[0] == MSG["AWAYNOTE"]]
        tap.ok(len(notes) == 1, "the sender is told once per away period "
               "(%d notes)" % len(notes))

        # Activity across nodes: alice talks on node 1, carol asks on 3.
        ax1.send("SAY", "lobby", "back at my desk soon")
        cx3.pump(lambda: any(x[2] == "back at my desk soon"
                             for x in cx3.msgs))
        w = whois(cx3, "alice")
        tap.ok(w is not None and w[3] == "at lunch" and
               sorted(w[1].split(",")) == ["lobby", "side"] and
               w[2] < 5000 and w[4] == 2,
               "WHOIS from node 3: rooms, idle from a SAY on node 1, "
               "away text, keys: %r" % (w,))
        tap.ok(away_names(cx3, "lobby") == ["alice"],
               "WHO lobby on node 3: AWAYNAMES lists alice")
        tap.ok(away_names(cx3, "side") == ["alice"],
               "WHO side on node 3 too")

        # /back from node 3 ends it for every node.
        ax1.events = []
        ax3.send("AWAY", "")
        tap.ok(ax1.find("AWAYNOTE", note_is("alice", "")) and
               ax3.find("AWAYNOTE", note_is("alice", "")),
               "/back on node 3 is confirmed on nodes 1 and 3")
        w, ok = wait_whois(bx2, "alice", lambda w: w[3] == "")
        tap.ok(ok, "WHOIS from node 2: alice is back")
        tap.ok(away_names(cx3, "lobby") == [],
               "AWAYNAMES lobby is empty again")
        bx2.events = []
        bx2.send("PRIVMSG", "alice", "welcome back")
        ax1.find("PRIVATE", lambda m: b"welcome back" in m)
        whois(bx2, "alice")
        tap.ok(not any(e[0] == MSG["AWAYNOTE"] for e in bx2.events),
               "no AWAYNOTE to a writer once she is back")

        # Away goes with the user's last session: carol, on node 3 only,
        # is away when node 3 dies below.
        cx3.send("AWAY", "gone fishing")
        cx3.find("AWAYNOTE", note_is("carol", "gone fishing"))
        w, ok = wait_whois(bx2, "carol", lambda w: w[3] == "gone fishing")
        tap.ok(ok, "carol's away text on node 3, seen from node 2")
        # A node that starts now loads the away state with the sessions.
        d4 = Daemon(users=USERS, extra_conf=node_conf(redis, "n4", prefix))
        d4.start()
        try:
            gx4 = Peer(d4, "gina", True)
            w, ok = wait_whois(gx4, "carol",
                               lambda w: w[3] == "gone fishing")
            tap.ok(ok, "a node started later knows carol is away: %r" %
                   (w,))
            gx4.c.close()
        finally:
            d4.cleanup()

        # History: a room emptied on one node, joined on another.
        dave.send("JOIN", "hist")
        for i in range(5):
            dave.send("SAY", "hist", "old line %d" % i)
        dave.send("PART", "hist")
        dave.pump(lambda: any(e[0] == MSG["PARTED"] for e in dave.events))
        erin.events = []
        erin.send("JOIN", "hist")
        erin.find("NAMES", lambda m: parse_names(m)[0] == "hist")
        hist = [e for e in erin.events if e[0] == MSG["HISTORY"] and
                parse_str(e, 9)[0] == "hist"]
        tap.ok(len(hist) == 5 and b"old line 0" in hist[0] and
               b"old line 4" in hist[4],
               "history of a room, from another node, in order (%d)" %
               len(hist))
        erin.send("PART", "hist")

        # A Redis restart in the middle of traffic.
        for i in range(20):
            alice.send("SAY", "lobby", "r1 alice %d" % i)
        time.sleep(0.3)
        redis.stop()
        for i in range(20, 40):
            alice.send("SAY", "lobby", "r1 alice %d" % i)
        tap.ok(dave.find("NOTICE", lambda m: b"paused" in m, 20),
               "sessions are told that cross-node delivery paused")
        tap.ok(redis.start(), "redis-server restarted")
        for i in range(40, 60):
            alice.send("SAY", "lobby", "r1 alice %d" % i)
        good = True
        for o in (dave, erin, frank):
            o.pump(lambda: len([x for x in o.msgs
                                if x[2].startswith("r1 ")]) >= 60, 60)
            seq = [x[2] for x in o.msgs if x[2].startswith("r1 ")]
            if seq != ["r1 alice %d" % i for i in range(60)]:
                tap.diag("%s: %d lines after the restart" % (o.user,
                                                             len(seq)))
                good = False
        tap.ok(good, "Redis restarted mid-traffic: nothing lost, nothing "
               "twice, order kept")
        tap.ok(dave.find("NOTICE", lambda m: b"resumed" in m, 20),
               "and told that it resumed")

        # kill -9 of node 3: carol and frank depart on the others.
        t0 = time.monotonic()
        nodes[2].proc.kill()
        ok = dave.find("DEPARTED", departed("frank"), DEAD_BOUND) and \
            erin.find("DEPARTED", departed("carol"), DEAD_BOUND)
        tap.ok(ok, "a node killed with SIGKILL: its users depart on the "
               "others (%.1f s)" % (time.monotonic() - t0))
        w, ok = wait_whois(bx2, "alice", lambda w: w[4] == 1)
        tap.ok(ok, "WHOIS: alice's session on the dead node is gone, the "
               "other stays: %r" % (w,))
        tap.ok(whois(bx2, "carol") is None and
               any(e[0] == MSG["ERROR"] for e in bx2.events),
               "WHOIS of carol, whose node died: not online")
        cx1 = Peer(nodes[0], "carol", True)
        w, ok = wait_whois(bx2, "carol", lambda w: True)
        tap.ok(ok and w[3] == "",
               "carol back on node 1 is not away: the dead node's "
               "departure ended it: %r" % (w,))
        cx1.c.close()
        tap.ok(dave.wait_names("lobby", ["alice", "bob", "dave", "erin"]),
               "WHO after the node's death")

        # History outlives every node.
        for p in peers:
            p.c.close()
        peers = []
        for d in nodes:
            d.stop()
        d = Daemon(users=USERS, extra_conf=node_conf(redis, "n1", prefix))
        d.start()
        nodes.append(d)
        gina = Peer(d, "gina")
        peers = [gina]
        gina.send("JOIN", "hist")
        gina.find("NAMES", lambda m: parse_names(m)[0] == "hist")
        hist = [e for e in gina.events if e[0] == MSG["HISTORY"] and
                parse_str(e, 9)[0] == "hist"]
        tap.ok(len(hist) == 5, "history after every node restarted "
               "(%d entries)" % len(hist))
        tap.ok(gina.wait_names("lobby", ["gina"]),
               "the old nodes' sessions are gone after the restart")
    finally:
        for p in peers:
            p.c.close()
        for d in nodes:
            d.cleanup()
        redis.cleanup()
    tap.done()


main()
