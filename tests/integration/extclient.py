"""
The extensions of doc/protocol.md section 11 on top of the harness's
RawClient, written from the document: the hello's capability 0x81, the
handshake hash after message 2 (hs2), and the key login's proof.
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
EXT_MSG = dict(AUTH_KEY=0x04, AUTH_MORE=0x05, E2E=0x17, E2E_FROM=0x18,
               E2E_FAIL=0x19, KEYS=0x2A, KEYLIST=0x2B)


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
    """A RawClient that may offer capability 0x81 and log in with a key."""

    def hello(self, suites=(2,), cap=True):
        offered = tuple(suites) + ((CAP_E2E,) if cap else ())
        suite = super().hello(offered)
        # The server hello follows the client's: "SECCHAT1", a count and
        # the suites offered.
        sh = self.prologue[9 + len(offered):]
        self.extended = len(sh) == 10 and sh[9] == CAP_E2E
        self.server_hello = sh
        if suite:
            self.refusal = ""
        return suite

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

    def password_login(self, user, password, suites=(2,), cap=True):
        self.hello(suites, cap=cap)
        self.handshake_with(lambda hs2, rs, s: bytes([MSG["AUTH"]]) +
                            wstr(user) + wstr(password))
        return self.recv_msg()
