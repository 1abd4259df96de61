"""History is bounded in bytes, per room (RoomHistoryBytes) and in all
rooms together (HistoryBytes): a joiner gets only the newest messages
within the budget, and the global budget evicts the oldest messages of
all rooms.  The broker's address space is limited, sized from the
configuration."""

import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, SECCHATD,  # noqa: E402
                     parse_str, wstr)

ROOM_BUDGET = 16 * 1024          # RoomHistoryBytes, its minimum
GLOBAL_BUDGET = 64 * 1024        # HistoryBytes, its minimum
TEXT_LEN = 1000                  # every message's text, in bytes
FLOOR = 256 * 1024 * 1024        # the broker's smallest memory limit

tap = Tap()


def text(room, i):
    head = "%s %04d " % (room, i)
    return head + "x" * (TEXT_LEN - len(head))


def names(client, room):
    """Read up to the NAMES for room: the last reply to a JOIN or WHO."""
    while True:
        m = client.recv_until(MSG["NAMES"])
        if m is None or parse_str(m, 1)[0] == room:
            return m is not None


def enter(alice, room):
    alice.send_msg(bytes([MSG["JOIN"]]) + wstr(room))
    return names(alice, room)


def fill(alice, room, first, count):
    """alice says count numbered messages in room; when her WHO is
    answered the broker has handled every one of them."""
    for i in range(first, first + count):
        alice.say(room, text(room, i))
    alice.send_msg(bytes([MSG["WHO"]]) + wstr(room))
    return names(alice, room)


def join(bob, room):
    """bob joins room and leaves it again; the numbers of the HISTORY
    messages he was sent for it, in order."""
    bob.send_msg(bytes([MSG["JOIN"]]) + wstr(room))
    got = []
    while True:
        m = bob.recv_msg()
        if m[0] == MSG["HISTORY"]:
            r, off = parse_str(m, 9)
            sender, off = parse_str(m, off)
            t, off = parse_str(m, off + 1)
            if r == room and sender == "alice":
                got.append(int(t.split()[1]))
        elif m[0] == MSG["NAMES"] and parse_str(m, 1)[0] == room:
            break
    bob.send_msg(bytes([MSG["PART"]]) + wstr(room))
    while True:
        m = bob.recv_msg()
        if m[0] == MSG["PARTED"] and parse_str(m, 1)[0] == room:
            return got


def newest(got, last):
    """got is a run of consecutive numbers ending at last."""
    return got == list(range(last - len(got) + 1, last + 1))


def start_debug(d):
    """Start d with debug logging.  The broker's debug line "ready: ..."
    comes before the master is ready to take logins, and it satisfies
    Daemon.start's wait; wait for the master's own "ready" as well."""
    d.start(("-d",))
    if not d.log.wait_seen(r"^ready$"):
        raise RuntimeError("secchatd not ready")
    return d


def broker_limit(d):
    """(the broker's RLIMIT_AS from /proc, the limit it logged)."""
    m = d.log.wait_seen(r"broker: ready: .* memory limit (\d+) bytes")
    logged = int(m[-1].split("memory limit ")[1].split()[0]) if m else None
    pids = d.role_pids("secchatd: broker")
    if not pids:
        return None, logged
    with open("/proc/%d/limits" % pids[0]) as f:
        for line in f:
            if line.startswith("Max address space"):
                v = line.split()[3]
                return (None if v == "unlimited" else int(v)), logged
    return None, logged


def no_limits_build():
    """Valgrind and the sanitizers get no address-space limit, and a lower
    one inherited from here is kept."""
    if os.environ.get("SECCHAT_TEST_VALGRIND"):
        return "under valgrind"
    if resource.getrlimit(resource.RLIMIT_AS)[1] != resource.RLIM_INFINITY:
        return "the tests run with an address-space limit already"
    with open(SECCHATD, "rb") as f:
        exe = f.read()
    if b"__asan_init" in exe or b"__ubsan_handle" in exe:
        return "sanitizer build"
    return None


d = Daemon(extra_conf="HistoryLength 10000\n"
           "RoomHistoryBytes %d\nHistoryBytes %d\n"
           "FloodBurst 100000\nFloodRate 100000\n" % (ROOM_BUDGET,
                                                      GLOBAL_BUDGET))
small = None
try:
    start_debug(d)
    alice = RawClient(d.port)
    bob = RawClient(d.port)
    tap.ok(alice.login("alice", "alice-pw")[0] == MSG["AUTH_OK"] and
           bob.login("bob", "bob-pw")[0] == MSG["AUTH_OK"],
           "alice and bob log in")
    broker = d.role_pids("secchatd: broker")

    # One room, far past its budget.
    enter(alice, "r1")
    tap.ok(fill(alice, "r1", 0, 40), "alice says 40 messages of %d bytes "
           "in r1" % TEXT_LEN)
    got = join(bob, "r1")
    n = len(got)
    tap.diag("r1 keeps %d of 40 messages in %d bytes" % (n, ROOM_BUDGET))
    tap.ok(0 < n < 40 and newest(got, 39),
           "a joiner gets only the newest messages, in order")
    tap.ok(n * TEXT_LEN <= ROOM_BUDGET,
           "what r1 keeps fits in RoomHistoryBytes")
    tap.ok(n >= ROOM_BUDGET // (TEXT_LEN + 256),
           "and an entry costs little more than its text")

    # Exactly as many as a room keeps, then one more.
    enter(alice, "r2")
    fill(alice, "r2", 0, n)
    tap.ok(join(bob, "r2") == list(range(n)),
           "a room filled to its budget keeps every message (%d)" % n)
    fill(alice, "r2", n, 1)
    tap.ok(join(bob, "r2") == list(range(1, n + 1)),
           "one more message drops that room's oldest")

    # More rooms, each at its budget, until all of them exceed the global
    # budget: the oldest messages of all, r1's, go first.
    rooms = ["g1", "g2", "g3"]
    tap.ok(5 * n * TEXT_LEN > GLOBAL_BUDGET,
           "five full rooms hold more than HistoryBytes")
    for r in rooms:
        enter(alice, r)
        fill(alice, r, 0, 2 * n)
    kept = {r: join(bob, r) for r in ["r1", "r2"] + rooms}
    tap.diag("kept: " + ", ".join("%s %d" % (r, len(kept[r]))
                                  for r in ["r1", "r2"] + rooms))
    tap.ok(all(newest(kept[r], 2 * n - 1) and len(kept[r]) == n
               for r in rooms),
           "the rooms filled last keep their budget's worth")
    tap.ok(0 < len(kept["r1"]) < n and newest(kept["r1"], 39),
           "the room filled first lost its oldest to the others' messages")
    tap.ok(kept["r2"] == list(range(1, n + 1)),
           "a younger room lost nothing while an older one had messages")
    total = sum(len(v) for v in kept.values())
    tap.ok(total * TEXT_LEN <= GLOBAL_BUDGET,
           "all rooms together fit in HistoryBytes (%d messages)" % total)

    tap.ok(d.role_pids("secchatd: broker") == broker,
           "the same broker served it all")

    # The broker's memory limit follows the configuration.
    why = no_limits_build()
    lim, logged = broker_limit(d)
    if why:
        tap.skip("the broker's address space is limited", why)
        tap.skip("a small configuration gets the floor", why)
    else:
        tap.ok(lim is not None and lim == logged and
               lim >= 2 * (GLOBAL_BUDGET + 1024 * 1024 * 1024),
               "the broker's address space is limited, to at least twice "
               "the history and every send queue (%s bytes)" % lim)
        small = Daemon(extra_conf="MaxSessions 4\nSendQueueSize 16K\n"
                       "HistoryBytes 64K\n")
        start_debug(small)
        lim, logged = broker_limit(small)
        tap.ok(lim == FLOOR and logged == FLOOR,
               "a small configuration gets the 256 MiB floor (%s)" % lim)
    alice.close()
    bob.close()
except Exception:
    tap.ok(False, "the test ran to its end")
    tap.diag("\n".join(d.log.all if d.log else []))
    raise
finally:
    d.cleanup()
    if small:
        small.cleanup()
tap.done()
