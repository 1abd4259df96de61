"""BATCH records (doc/protocol.md 11.9) from the real daemon: the hellos
agree to capability 0x82 only when it is offered; messages the broker
hands a worker in one go reach a client that agreed as BATCH records,
every one once and in order; a client that did not agree (offering 0x81
only, or nothing) gets a record per message.  Each receiver's worker is
stopped while the messages pile up, so that it reads them in one go."""

import os
import signal
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, RawClient, MSG, parse_str, wait_for  # noqa
from extclient import ExtClient, CAP_E2E, CAP_BATCH  # noqa: E402

N = 40
USERS = [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")]

tap = Tap()


def worker_of(d, user):
    pids = wait_for(lambda: [p for p, c in d.children()
                             if "worker" in c and c.endswith(" " + user)])
    return pids[0] if pids and len(pids) == 1 else None


def worker_of_gone(d):
    """Until alice's worker has gone, two would match her name."""
    return not [p for p, c in d.children()
                if "worker" in c and c.endswith(" alice")]


def message(m):
    """(sender, text) of a MESSAGE."""
    _, off = parse_str(m, 9)
    sender, off = parse_str(m, off)
    text, _ = parse_str(m, off)
    return sender, text


def piled_up(d, rx, tag):
    """Stop rx's worker, let bob say N messages (carol, who reads, sees
    them all: the broker has fanned them out), go on, and read them at
    rx.  Returns (records, texts)."""
    bob = RawClient(d.port)
    carol = RawClient(d.port)
    ok = (bob.login("bob", "bob-pw")[0] == MSG["AUTH_OK"] and
          carol.login("carol", "carol-pw")[0] == MSG["AUTH_OK"])
    # rx sees both arrive: what came before is read.
    ok = ok and rx.recv_until(MSG["ARRIVED"]) is not None
    ok = ok and rx.recv_until(MSG["ARRIVED"]) is not None
    pid = worker_of(d, "alice")
    if not ok or pid is None:
        return None, []
    records0 = getattr(rx, "records", 0)
    os.kill(pid, signal.SIGSTOP)
    try:
        for i in range(N):
            bob.say("lobby", "%s %d" % (tag, i))
        seen = 0
        while seen < N:
            m = carol.recv_until(MSG["MESSAGE"])
            if m is None:
                break
            seen += 1
    finally:
        os.kill(pid, signal.SIGCONT)
    texts = []
    while len(texts) < N:
        m = rx.recv_until(MSG["MESSAGE"])
        if m is None:
            break
        texts.append(message(m))
    bob.close()
    carol.close()
    return getattr(rx, "records", 0) - records0, texts


class CountingRaw(RawClient):
    """A client of version 1: counts its records, knows no BATCH."""
    records = 0

    def recv_msg(self):
        self.records += 1
        return super().recv_msg()


def expect(tag):
    return [("bob", "%s %d" % (tag, i)) for i in range(N)]


d = Daemon(users=USERS)
try:
    d.start()

    # -------------------------------------------------- both capabilities
    a = ExtClient(d.port)
    tap.ok(a.password_login("alice", "alice-pw", batch=True)[0] ==
           MSG["AUTH_OK"], "alice logs in offering 0x81 and 0x82")
    tap.ok(a.agreed == (CAP_E2E, CAP_BATCH) and
           a.server_hello[9:] == bytes([CAP_E2E, CAP_BATCH]),
           "the server hello agrees to both, ascending (%r)" %
           a.server_hello[9:])
    b0 = a.batches
    records, texts = piled_up(d, a, "b")
    tap.ok(texts == expect("b"),
           "all %d messages reach her, once each and in order" % N)
    tap.ok(a.batches > b0 and records is not None and records < N,
           "in fewer records than messages: %s records, %d BATCH" %
           (records, a.batches - b0))
    a.close()
    wait_for(lambda: worker_of_gone(d))

    # -------------------------------------------------- 0x82 alone
    a = ExtClient(d.port)
    tap.ok(a.password_login("alice", "alice-pw", cap=False, batch=True)[0] ==
           MSG["AUTH_OK"] and a.agreed == (CAP_BATCH,) and
           not a.extended and a.batched,
           "0x82 without 0x81: the server agrees to 0x82 alone")
    b0 = a.batches
    records, texts = piled_up(d, a, "c")
    tap.ok(texts == expect("c") and a.batches > b0,
           "and batches her messages (%d BATCH)" % (a.batches - b0))
    a.close()
    wait_for(lambda: worker_of_gone(d))

    # -------------------------------------------------- 0x81 only
    a = ExtClient(d.port)
    tap.ok(a.password_login("alice", "alice-pw")[0] == MSG["AUTH_OK"] and
           a.agreed == (CAP_E2E,) and not a.batched,
           "offering 0x81 only, the server agrees to 0x81 only")
    records, texts = piled_up(d, a, "e")
    tap.ok(texts == expect("e") and a.batches == 0 and records is not None
           and records >= N,
           "no BATCH: %s records for %d messages" % (records, N))
    a.close()
    wait_for(lambda: worker_of_gone(d))

    # -------------------------------------------------- version 1
    a = CountingRaw(d.port)
    tap.ok(a.login("alice", "alice-pw")[0] == MSG["AUTH_OK"] and
           a.prologue.endswith(b"SECCHAT1\x02"),
           "a version 1 client gets a version 1 hello")
    records, texts = piled_up(d, a, "v")
    tap.ok(texts == expect("v") and records is not None and records >= N,
           "and a record per message (%s records)" % records)
    a.close()
finally:
    d.cleanup()
tap.done()
