"""Frames up to the protocol's maximum (doc/protocol.md, section 2), sent
whole or in 1,448-byte pieces as a real network delivers them: before and
after login, each is read as it arrives and handled or refused at once, and
a worker waiting for the rest of a frame sleeps in poll() instead of
spinning.  Every limit on the way is tried at its maximum and one past it:
the 65,535-byte frame, the 65,519-byte record plaintext and
MaxMessageLength at its configurable maximum of 60,000."""

import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG, ProtocolClosed,  # noqa
                     WAIT, parse_str, proc_stat, wait_for, wstr)

FRAME_MAX = 65535
TAGLEN = 16
PIECE = 1448            # the TCP payload of a 1,500-byte Ethernet MTU
MAX_MESSAGE = 60000     # the largest MaxMessageLength secchatd.conf allows
IDLE_WINDOW = 2.0       # seconds of waiting over which CPU time is measured
IDLE_CPU_MAX = 0.3      # a poll() spin burns about 1 s of CPU a second
FLOOD, FLOOD_LEN = 40, 50000    # 2 MB for a reader that has stopped
tap = Tap()


def cpu_seconds(pid):
    """utime + stime of a process, or None once it is gone."""
    st = proc_stat(pid)
    if st is None:
        return None
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


def tcp_queues(local_port, remote_port):
    """(tx_queue, rx_queue) of the established IPv4 TCP socket with these
    ports, from /proc/net/tcp: bytes its peer has not acknowledged, and
    bytes that arrived but its process has not read yet.  None if there is
    none."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fld = line.split()
            lp = int(fld[1].rsplit(":", 1)[1], 16)
            rp = int(fld[2].rsplit(":", 1)[1], 16)
            if lp == local_port and rp == remote_port and fld[3] == "01":
                tx, rx = fld[4].split(":")
                return int(tx, 16), int(rx, 16)
    return None


def server_has_read_all(sock, port):
    """Everything sent on sock has arrived and the worker has read it: the
    readiness signal that a worker is now waiting for more."""
    mine = sock.getsockname()[1]

    def drained():
        ours = tcp_queues(mine, port)
        theirs = tcp_queues(port, mine)
        return (ours is not None and theirs is not None and
                ours[0] == 0 and theirs[1] == 0)
    return bool(wait_for(drained))


def send_in_pieces(sock, port, data):
    """Send data PIECE bytes at a time, each after the worker has read the
    one before, so that every read sees one piece.  True if the worker
    kept up; once it falls behind the rest is sent without waiting."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    kept_up = True
    for i in range(0, len(data), PIECE):
        if not send_all(sock, data[i:i + PIECE]):
            return False
        if kept_up and not server_has_read_all(sock, port):
            kept_up = False
    return kept_up


def idle_cpu(pid):
    """CPU seconds pid uses over IDLE_WINDOW seconds of waiting (a
    measurement window, not a wait for an event)."""
    t0 = cpu_seconds(pid)
    threading.Event().wait(IDLE_WINDOW)
    t1 = cpu_seconds(pid)
    if t0 is None or t1 is None:
        return None
    return t1 - t0


def settled(pid):
    """Wait until pid sleeps and its CPU time stands still over a step of
    0.2 s: it has done all it can for now.  False if it never does."""
    last = [None]

    def check():
        st = proc_stat(pid)
        if st is None:
            return False
        now = (st[0], int(st[11]) + int(st[12]))
        same = now[0] == "S" and now == last[0]
        last[0] = now
        return same
    return bool(wait_for(check, step=0.2))


def preauth_worker(d):
    """The pid of the one worker whose session has not logged in."""
    pids = wait_for(lambda: [p for p, cmd in d.children()
                             if cmd.startswith("secchatd: worker") and
                             cmd.endswith(" preauth")])
    return pids[0] if len(pids) == 1 else None


def worker_of(d, user):
    pids = wait_for(lambda: [p for p, cmd in d.children()
                             if cmd.startswith("secchatd: worker") and
                             cmd.endswith(" " + user)])
    return pids[0] if len(pids) == 1 else None


def frame(payload):
    return struct.pack(">H", len(payload)) + payload


def say_body(text, room="lobby"):
    return bytes([MSG["SAY"]]) + wstr(room) + wstr(text)


def sealed_say(client, text, room="lobby"):
    """A SAY record as the bytes of its frame, sealed with client's next
    nonce."""
    return frame(client.tx.encrypt(b"", say_body(text, room)))


def message_text(m):
    """The sender and text of a MESSAGE."""
    _, off = parse_str(m, 9)
    sender, off = parse_str(m, off)
    n = struct.unpack(">H", m[off:off + 2])[0]
    return sender, m[off + 2:off + 2 + n]


def error_code(m):
    return m[1] if m is not None and m[0] == MSG["ERROR"] else None


def send_all(sock, data):
    """sendall, but a connection the server has given up on is a failed
    check, not the end of the test."""
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def recv_or_none(client, type_):
    try:
        return client.recv_until(type_)
    except (ProtocolClosed, OSError, ValueError):
        return None


# The grace time is far beyond every wait here: a connection closed before
# login is closed for the reason the test gives, never for the clock.  The
# send queue and the flood limits let one client pile up megabytes for a
# reader that has stopped, without either being cut off.
d = Daemon(extra_conf="LoginGraceTime 120\nMaxMessageLength %d\n"
           "SendQueueSize 16M\nFloodBurst 200\nFloodRate 200\n"
           % MAX_MESSAGE)
try:
    d.start()
    maxframe = frame(b"A" * FRAME_MAX)

    # ------------------------------------------------ before login, whole
    x = RawClient(d.port)
    pid = preauth_worker(d)
    tap.ok(pid is not None, "found the worker of a new connection")
    send_all(x.sock, maxframe)
    tap.ok(x.closed(), "before login, a 65,535-byte frame sent whole is "
           "refused at once: the connection is closed")
    tap.ok(d.log.expect(r"closed before login: (worker: )?bad hello$") is not None,
           "the daemon logs why (the frame is no hello)")
    tap.ok(pid is None or wait_for(lambda: proc_stat(pid) is None),
           "and the worker is gone")
    x.close()

    # ------------------------------------------------ before login, pieces
    x = RawClient(d.port)
    pid = preauth_worker(d)
    tap.ok(send_in_pieces(x.sock, d.port, maxframe[:-1]),
           "before login, the worker reads every 1,448-byte piece of a "
           "65,535-byte frame as it arrives, up to the last byte")
    used = idle_cpu(pid) if pid else None
    tap.ok(used is not None and used < IDLE_CPU_MAX,
           "waiting for the last byte, the worker sleeps (%s s of CPU in "
           "%.0f s)" % ("%.2f" % used if used is not None else "?",
                        IDLE_WINDOW))
    send_all(x.sock, maxframe[-1:])
    tap.ok(x.closed(), "the last byte completes the frame, which is refused "
           "at once: the connection is closed")
    tap.ok(d.log.expect(r"closed before login: (worker: )?bad hello$") is not None,
           "the daemon logs why")
    x.close()

    # ------------------------------------------------ the client leaves
    x = RawClient(d.port)
    pid = preauth_worker(d)
    tap.ok(send_in_pieces(x.sock, d.port, maxframe[:-1]),
           "a client sends all of a 65,535-byte frame but its last byte")
    x.close()
    tap.ok(d.log.expect(r"closed before login: (worker: )?connection closed before "
                        r"login$") is not None,
           "and leaves: the worker notices at once")
    tap.ok(pid is None or wait_for(lambda: proc_stat(pid) is None),
           "and is gone")

    # ------------------------------------------------ as Noise message 1
    x = RawClient(d.port)
    try:
        x.hello((2,))
        sent = send_in_pieces(x.sock, d.port, maxframe[:-1])
        send_all(x.sock, maxframe[-1:])
    except (ProtocolClosed, OSError, ValueError):
        sent = False
    tap.ok(sent, "after the hellos, the worker reads a 65,535-byte frame "
           "in pieces")
    tap.ok(x.closed(), "and refuses it as Noise message 1 at once")
    tap.ok(d.log.expect(r"closed before login: (worker: )?handshake failed$")
           is not None, "the daemon logs why")
    x.close()

    # ------------------------------------------------ after login
    alice = RawClient(d.port)
    bob = RawClient(d.port)
    tap.ok(alice.login("alice", "alice-pw")[0] == MSG["AUTH_OK"] and
           bob.login("bob", "bob-pw")[0] == MSG["AUTH_OK"],
           "alice and bob log in (MaxMessageLength %d)" % MAX_MESSAGE)
    tap.ok(alice.recv_until(MSG["ARRIVED"]) is not None,
           "alice sees bob arrive")
    apid = worker_of(d, "alice")
    tap.ok(apid is not None, "found alice's worker")

    text = b"m" * 59000
    tap.ok(send_in_pieces(alice.sock, d.port, sealed_say(alice, text)),
           "alice's worker reads a 59,000-byte message in 1,448-byte pieces "
           "as they arrive")
    m = recv_or_none(bob, MSG["MESSAGE"])
    tap.ok(m is not None and message_text(m) == ("alice", text),
           "bob receives it whole")

    text = b"L" * MAX_MESSAGE
    send_all(alice.sock, sealed_say(alice, text))
    m = recv_or_none(bob, MSG["MESSAGE"])
    tap.ok(m is not None and message_text(m) == ("alice", text),
           "a message of exactly MaxMessageLength (%d bytes) is delivered"
           % MAX_MESSAGE)

    send_all(alice.sock, sealed_say(alice, b"P" * (MAX_MESSAGE + 1)))
    tap.ok(error_code(recv_or_none(alice, MSG["ERROR"])) == 4,
           "one byte more gets ERROR 4 (too long)")

    # The largest record: its plaintext is 65,535 - 16 bytes, its frame
    # the largest there is.
    longest = 65535 - TAGLEN - len(say_body(b""))
    big = sealed_say(alice, b"Q" * longest)
    tap.ok(len(big) == 2 + FRAME_MAX, "the largest SAY fills a frame of "
           "65,535 bytes (%d bytes of text)" % longest)
    tap.ok(send_in_pieces(alice.sock, d.port, big[:-1]),
           "after login, the worker reads it in pieces up to the last byte")
    used = idle_cpu(apid) if apid else None
    tap.ok(used is not None and used < IDLE_CPU_MAX,
           "waiting for the last byte, alice's worker sleeps (%s s of CPU in "
           "%.0f s)" % ("%.2f" % used if used is not None else "?",
                        IDLE_WINDOW))
    send_all(alice.sock, big[-1:])
    tap.ok(error_code(recv_or_none(alice, MSG["ERROR"])) == 4,
           "the last byte completes it: it is read and answered with ERROR 4 "
           "(longer than MaxMessageLength)")

    # Three of them back to back, whole: more than the input buffer holds.
    send_all(alice.sock, b"".join(sealed_say(alice, b"R" * longest)
                                for _ in range(3)))
    codes = [error_code(recv_or_none(alice, MSG["ERROR"])) for _ in range(3)]
    tap.ok(codes == [4, 4, 4], "three largest frames back to back, sent "
           "whole: each is answered with ERROR 4 (%r)" % codes)

    alice.send_msg(bytes([MSG["PING"]]) + b"frames!!")
    pong = recv_or_none(alice, MSG["PONG"])
    tap.ok(pong is not None and pong[1:] == b"frames!!",
           "alice's session goes on: a PING is answered")
    send_all(alice.sock, sealed_say(alice, b"after the largest frames"))
    m = recv_or_none(bob, MSG["MESSAGE"])
    tap.ok(m is not None and
           message_text(m) == ("alice", b"after the largest frames"),
           "bob's next message is the one after them: nothing too long was "
           "delivered")

    # ------------------------------------------------ behind a full queue
    # carol stops reading while bob sends her room far more than the kernel
    # and her worker's output queue hold: her worker stops taking frames
    # from her (their answers would have nowhere to go), and the two
    # largest frames she then sends fill its input buffer.  Full, it must
    # stop asking for input rather than be told of it again and again.
    cs = socket.socket()
    cs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    cs.settimeout(WAIT)
    cs.connect(("127.0.0.1", d.port))
    carol = RawClient.__new__(RawClient)
    carol.sock, carol.buf, carol.tx, carol.rx = cs, b"", None, None
    ok = carol.login("carol", "carol-pw")[0] == MSG["AUTH_OK"]
    carol.send_msg(bytes([MSG["JOIN"]]) + wstr("slow"))
    ok = ok and recv_or_none(carol, MSG["NAMES"]) is not None
    bob.send_msg(bytes([MSG["JOIN"]]) + wstr("slow"))
    tap.ok(ok and recv_or_none(bob, MSG["JOINED"]) is not None,
           "carol and bob join a room of their own")
    cpid = worker_of(d, "carol")
    for i in range(FLOOD):
        send_all(bob.sock, sealed_say(
            bob, b"%05d" % i + b"f" * (FLOOD_LEN - 5), "slow"))
    # The broker answers WHO after it has queued everything bob said.
    bob.send_msg(bytes([MSG["WHO"]]) + wstr("slow"))
    while True:
        m = recv_or_none(bob, MSG["NAMES"])
        if m is None or parse_str(m, 1)[0] == "slow":
            break
    tap.ok(m is not None, "bob sends %d messages of %d bytes to carol, who "
           "does not read" % (FLOOD, FLOOD_LEN))
    # Megabytes more than the kernel and the worker's queue hold: once the
    # worker stops working, its output queue is over its mark.
    tap.ok(cpid is not None and settled(cpid),
           "carol's worker has queued what it can and sleeps")
    frames = b"".join(sealed_say(carol, b"C" * longest, "slow")
                      for _ in range(2))
    # Her worker will not read all of them: send on a thread.
    sender = threading.Thread(target=send_all, args=(cs, frames),
                              daemon=True)
    sender.start()
    me = cs.getsockname()[1]

    def held_back():
        ours, theirs = tcp_queues(me, d.port), tcp_queues(d.port, me)
        return (ours is not None and theirs is not None and
                ours[0] == 0 and theirs[1] > 0)
    tap.ok(wait_for(held_back), "carol sends two largest frames; they "
           "arrive, and her worker leaves some unread (its input buffer is "
           "full)")
    used = idle_cpu(cpid) if cpid else None
    tap.ok(used is not None and used < IDLE_CPU_MAX,
           "with its input buffer full behind a full output queue, carol's "
           "worker sleeps (%s s of CPU in %.0f s)"
           % ("%.2f" % used if used is not None else "?", IDLE_WINDOW))
    # The worker's own answers and the broker's traffic are two streams:
    # an ERROR may come before the rest of bob's messages (protocol 7.8).
    got, codes = [], []
    try:
        while len(codes) < 2 or len(got) < FLOOD:
            m = carol.recv_msg()
            if m[0] == MSG["MESSAGE"]:
                got.append(message_text(m)[1][:5])
            elif m[0] == MSG["ERROR"]:
                codes.append(m[1])
    except (ProtocolClosed, OSError, ValueError):
        pass
    sender.join(WAIT)
    tap.ok(got == [b"%05d" % i for i in range(FLOOD)] and codes == [4, 4],
           "once carol reads again she gets all %d of bob's messages in "
           "order (%d), and ERROR 4 for each of her frames (%r)"
           % (FLOOD, len(got), codes))
    carol.send_msg(bytes([MSG["BYE"]]) + wstr("exit"))
    tap.ok(carol.closed(), "carol leaves")

    # One byte past the largest record: its 65,536 bytes of ciphertext do
    # not fit the 2-byte length, so the frame says 65,535 and holds all
    # but the last byte, which does not decrypt.
    ct = alice.tx.encrypt(b"", say_body(b"S" * (longest + 1)))
    tap.ok(len(ct) == FRAME_MAX + 1, "one byte more makes 65,536 bytes of "
           "ciphertext")
    send_all(alice.sock, struct.pack(">H", FRAME_MAX) + ct)
    bye = recv_or_none(alice, MSG["BYE"])
    tap.ok(bye is not None and
           parse_str(bye, 1)[0].startswith("protocol error"),
           "framed in 65,535 bytes it fails to decrypt: alice is told "
           "\"protocol error\" (%r)" % (parse_str(bye, 1)[0] if bye else None))
    tap.ok(alice.closed(), "and her connection is closed")
    tap.ok(d.log.expect(r"Disconnected alice .*bad record") is not None,
           "the daemon logs a bad record")
    while True:
        m = recv_or_none(bob, MSG["DEPARTED"])
        if m is None or parse_str(m, parse_str(m, 9)[1])[0] == "alice":
            break
    tap.ok(m is not None, "bob sees alice depart")
    bob.send_msg(bytes([MSG["BYE"]]) + wstr("exit"))
    tap.ok(bob.closed(), "bob leaves")
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
