"""
The extensions of doc/protocol.md section 11 on top of the harness's
RawClient, written from the document: the hello's capabilities 0x81 and
0x82, the handshake hash after message 2 (hs2), the key login's proof,
and BATCH records (11.9).
"""

import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawClient, MSG, wstr, _pub, _dh  # noqa: E402

CAP_E2E = 0x81
CAP_BATCH = 0x82
EXT_MSG = dict(AUTH_KEY=0x04, AUTH_MORE=0x05, E2E=0x17, E2E_FROM=0x18,
               E2E_FAIL=0x19, KEYS=0x2A, KEYLIST=0x2B, BATCH=0x32)


def batch_split(pt):
    """The messages of a BATCH record's plaintext (11.9), checked as the
    document says; raises ValueError on anything malformed."""
    if len(pt) < 3 or pt[0] != EXT_MSG["BATCH"]:
        raise ValueError("not a BATCH")
    count = struct.unpack(">H", pt[1:3])[0]
    if count < 2:
        raise ValueError("a BATCH of %d" % count)
    out, i = [], 3
    for _ in range(count):
        if i + 2 > len(pt):
            raise ValueError("truncated BATCH")
        n = struct.unpack(">H", pt[i:i + 2])[0]
        m = pt[i + 2:i + 2 + n]
        if n == 0 or len(m) != n or m[0] == EXT_MSG["BATCH"]:
            raise ValueError("bad message in a BATCH")
        out.append(m)
        i += 2 + n
    if i != len(pt):
        raise ValueError("bytes after a BATCH")
    return out


def keyproof(ss, hs2, user):
    """Section 11.3: HKDF-SHA256(salt "secchat key login v1", ss), then
    HMAC-SHA256(k, hs2 || user)."""
    prk = hmac.new(b"secchat key login v1", ss, hashlib.sha256).digest()
    k = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    return hmac.new(k, hs2 + user.encode(), hashlib.sha256).digest()


def public_line(priv, comment="test"):
    """The line secchat-passwd key add takes."""
    return "secchat-x25519 %s %s" % (
        base64.b64encode(_pub(priv)).decode(), comment)


def fingerprint(priv):
    d = hashlib.sha256(_pub(priv)).digest()
    return "SHA256:" + base64.b64encode(d).decode().rstrip("=")


def enroll(daemon, user, priv):
    """secchat-passwd key add USER LINE on the daemon's users file."""
    r = subprocess.run([daemon.passwd, "-f", daemon.users, "key", "add",
                        user, public_line(priv)], capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("key add: " + r.stderr.decode())


class ExtClient(RawClient):
    """A RawClient that may offer capabilities 0x81 and 0x82, log in with
    a key, and take BATCH records apart (counting them)."""

    def hello(self, suites=(2,), cap=True, batch=False):
        caps = ((CAP_E2E,) if cap else ()) + ((CAP_BATCH,) if batch else ())
        offered = tuple(suites) + caps
        suite = super().hello(offered)
        # The server hello follows the client's: "SECCHAT1", a count and
        # the suites offered.  After a chosen suite: the capabilities it
        # agreed to, ascending, each offered.
        sh = self.prologue[9 + len(offered):]
        self.agreed = tuple(sh[9:]) if suite else ()
        if (list(self.agreed) != sorted(set(self.agreed)) or
                any(c not in caps for c in self.agreed)):
            raise ValueError("malformed server hello %r" % sh)
        self.extended = CAP_E2E in self.agreed
        self.batched = CAP_BATCH in self.agreed
        self.server_hello = sh
        self.pending = []
        self.records = self.batches = 0
        if suite:
            self.refusal = ""
        return suite

    def recv_msg(self):
        """The next message, whether it came alone or in a BATCH."""
        if getattr(self, "pending", None):
            return self.pending.pop(0)
        pt = super().recv_msg()
        self.records = getattr(self, "records", 0) + 1
        if pt[:1] == bytes([EXT_MSG["BATCH"]]):
            if not getattr(self, "batched", False):
                raise ValueError("a BATCH that was not agreed to")
            self.batches += 1
            self.pending = batch_split(pt)
            return self.pending.pop(0)
        return pt

    def key_login(self, user, priv, suites=(2,), proof_user=None,
                  bad_proof=False):
        """Hello with the capability, then AUTH_KEY(user, proof) in
        message 3; returns the server's first message."""
        self.hello(suites)

        def payload(hs2, server_static, static):
            p = keyproof(_dh(static, server_static), hs2,
                         proof_user or user)
            if bad_proof:
                p = bytes([p[0] ^ 1]) + p[1:]
            return bytes([EXT_MSG["AUTH_KEY"]]) + wstr(user) + wstr(p)

        self.handshake_with(payload, static=priv)
        return self.recv_msg()

    def password_login(self, user, password, suites=(2,), cap=True,
                       batch=False):
        self.hello(suites, cap=cap, batch=batch)
        self.handshake_with(lambda hs2, rs, s: bytes([MSG["AUTH"]]) +
                            wstr(user) + wstr(password))
        return self.recv_msg()
