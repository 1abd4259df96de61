"""A flipped bit or a replayed record ends that session; nothing garbled
or duplicated reaches anyone."""

import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, RawClient, MSG  # noqa: E402


class FlipProxy:
    """Forwards one TCP connection; flips one bit of the client's n-th
    frame (counting the hello as frame 1)."""

    def __init__(self, port, flip_frame):
        self.port = port
        self.flip_frame = flip_frame
        self.flipped = threading.Event()
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.lport = self.ls.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def pump(self, src, dst, tamper):
        buf, count = b"", 0
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                if not tamper:
                    dst.sendall(d)
                    continue
                buf += d
                while len(buf) >= 2:
                    n = struct.unpack(">H", buf[:2])[0]
                    if len(buf) < 2 + n:
                        break
                    frame, buf = bytearray(buf[:2 + n]), buf[2 + n:]
                    count += 1
                    if count == self.flip_frame:
                        frame[2 + n // 2] ^= 0x04
                        self.flipped.set()
                    dst.sendall(bytes(frame))
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self):
        c, _ = self.ls.accept()
        s = socket.create_connection(("127.0.0.1", self.port))
        threading.Thread(target=self.pump, args=(c, s, True),
                         daemon=True).start()
        self.pump(s, c, False)


tap = Tap()
d = Daemon()
try:
    d.start()
    bob = Client(d, "bob", "bob-pw")
    tap.ok(bob.out.expect(r" login bob$") is not None, "bob logs in")

    # Through the proxy: hello(1), msg1(2), msg3+AUTH(3), first record(4):
    # a password login, so that message 3 carries the AUTH.
    p = FlipProxy(d.port, 4)

    class ProxiedDaemon:
        port = p.lport
        dir = d.dir
    alice = Client(ProxiedDaemon, "alice", "alice-pw",
                   extra=("-o", "KeyLogin=no"))
    tap.ok(alice.out.expect(r" login alice$") is not None,
           "alice logs in through the proxy")
    alice.send("this record will be damaged")
    tap.ok(p.flipped.wait(20), "the proxy flipped one bit of alice's record")
    rc = alice.wait()
    tap.ok(rc is not None and rc != 0,
           "alice's session ends (secchat exit status %r)" % rc)
    tap.ok(d.log.expect(r"Disconnected alice .*(bad record|decrypt)")
           is not None, "the daemon logs a bad record")
    tap.ok(bob.out.expect(r" departed lobby alice ") is not None,
           "bob sees alice leave")
    tap.ok(not bob.out.seen(r" message "),
           "bob received no message from the damaged session")

    # Replay: an independent client sends the same ciphertext twice.
    r = RawClient(d.port)
    ok = r.login("carol", "carol-pw")
    tap.ok(ok[0] == MSG["AUTH_OK"], "carol logs in with a raw client")
    from harness import wstr
    body = bytes([MSG["SAY"]]) + wstr("lobby") + wstr("only once")
    ct = r.tx.encrypt(b"", body)
    r.send_frame(ct)
    tap.ok(bob.out.expect(r" message lobby carol only once$") is not None,
           "bob receives carol's message")
    r.send_frame(ct)
    tap.ok(r.closed(), "the replayed record ends carol's session")
    tap.ok(bob.out.expect(r" departed lobby carol ") is not None,
           "bob sees carol leave")
    tap.ok(len(bob.out.seen(r"only once")) == 1,
           "bob received carol's message exactly once")

    # Reordering: two records sent in swapped order.
    r = RawClient(d.port)
    r.login("carol", "carol-pw")
    c1 = r.tx.encrypt(b"", bytes([MSG["SAY"]]) + wstr("lobby") + wstr("first"))
    c2 = r.tx.encrypt(b"", bytes([MSG["SAY"]]) + wstr("lobby") + wstr("second"))
    r.send_frame(c2)
    r.send_frame(c1)
    tap.ok(r.closed(), "a record out of order ends the session")
    tap.ok(not bob.out.seen(r" message lobby carol (first|second)"),
           "nothing from the reordered pair is delivered")
    bob.send("exit")
    bob.wait()
finally:
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))
tap.done()
