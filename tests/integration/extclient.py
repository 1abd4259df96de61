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
from harness import (RawClient, MSG, wstr, _Cipher, _hkdf, _x25519,  # noqa
                     _pub, _dh)

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
        ch = b"SECCHAT1" + bytes([len(offered)]) + bytes(offered)
        self.send_frame(ch)
        sh = self.recv_frame()
        if sh[:8] != b"SECCHAT1":
            raise ValueError("bad server hello")
        self.suite = sh[8]
        self.extended = len(sh) == 10 and sh[9] == CAP_E2E
        self.server_hello = sh
        self.refusal = "" if self.suite else sh[9:].decode("utf-8", "replace")
        self.prologue = ch + sh
        return self.suite

    def handshake_with(self, payload_fn, static=None):
        """Noise XX as initiator.  payload_fn(hs2, server_static, static)
        returns message 3's payload, made once message 2 is read."""
        suite = self.suite
        name = (b"Noise_XX_25519_AESGCM_SHA256" if suite == 1 else
                b"Noise_XX_25519_ChaChaPoly_SHA256")
        h = name + b"\0" * (32 - len(name))
        st = {"h": hashlib.sha256(h + self.prologue).digest(), "ck": h,
              "k": None}
        s = static or _x25519()
        e = _x25519()

        def mixhash(data):
            st["h"] = hashlib.sha256(st["h"] + data).digest()

        def mixkey(ikm):
            st["ck"], tk = _hkdf(st["ck"], ikm, 2)
            st["k"] = _Cipher(suite, tk)

        def enc(pt):
            if st["k"] is None:
                mixhash(pt)
                return pt
            ct = st["k"].encrypt(st["h"], pt)
            mixhash(ct)
            return ct

        def dec(ct):
            if st["k"] is None:
                mixhash(ct)
                return ct
            pt = st["k"].decrypt(st["h"], ct)
            mixhash(ct)
            return pt

        epub = _pub(e)
        mixhash(epub)
        self.send_frame(epub + enc(b""))
        m2 = self.recv_frame()
        re_ = m2[:32]
        mixhash(re_)
        mixkey(_dh(e, re_))
        rs = dec(m2[32:80])
        mixkey(_dh(e, rs))
        if dec(m2[80:]) != b"":
            raise ValueError("message 2 payload not empty")
        self.server_static = rs
        self.hs2 = st["h"]
        payload = payload_fn(self.hs2, rs, s)
        m3 = enc(_pub(s))
        mixkey(_dh(s, re_))
        m3 += enc(payload)
        self.send_frame(m3)
        c1, c2 = _hkdf(st["ck"], b"", 2)
        self.tx = _Cipher(suite, c1)
        self.rx = _Cipher(suite, c2)

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
