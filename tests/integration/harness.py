"""
Test harness for secchat's integration tests.

Starts the real secchatd and real secchat clients on 127.0.0.1 with an
ephemeral port and temporary directories, and offers an independent
implementation of the wire protocol (RawClient, written from
doc/protocol.md) for the tests that must misbehave on purpose.

Every wait is for a readiness signal (a log line, an output line, a closed
socket) with a generous upper bound; nothing sleeps for a fixed time to
"let things settle".
"""

import base64
import hashlib
import hmac
import os
import pwd
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BUILDDIR = os.path.abspath(os.environ.get("top_builddir", "."))
SRCDIR = os.path.abspath(os.environ.get("top_srcdir", "."))
SECCHATD = os.path.join(BUILDDIR, "secchatd")
SECCHAT = os.path.join(BUILDDIR, "secchat")
PASSWD = os.path.join(BUILDDIR, "secchat-passwd")
WAIT = float(os.environ.get("SECCHAT_TEST_WAIT", "20"))
IS_ROOT = os.geteuid() == 0
# A command prefix for the daemon and the client, e.g. valgrind (see
# tests/valgrind.sh).
WRAP = os.environ.get("SECCHAT_TEST_WRAP", "").split()


# ---------------------------------------------------------------- TAP

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, what),
              flush=True)
        return cond

    def skip(self, what, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


class Lines:
    """Collects the lines of a stream on a thread; wait for patterns."""

    def __init__(self, stream, name):
        self.q = queue.Queue()
        self.all = []
        self.name = name
        self.closed = threading.Event()
        self.t = threading.Thread(target=self._run, args=(stream,),
                                  daemon=True)
        self.t.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.all.append(line)
            self.q.put(line)
        self.closed.set()
        self.q.put(None)

    def expect(self, pattern, timeout=WAIT):
        """Return the first new line matching pattern (a regex), or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.q.put(None)
                return None
            m = rx.search(line)
            if m:
                return m

    def wait_seen(self, pattern, timeout=WAIT):
        """Wait until any line so far, consumed or not, matches."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            hit = [l for l in self.all if rx.search(l)]
            if hit or time.monotonic() >= deadline:
                return hit
            time.sleep(0.02)

    def seen(self, pattern):
        rx = re.compile(pattern)
        return [l for l in self.all if rx.search(l)]

    def drain(self):
        out = []
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                return out
            if line is None:
                self.q.put(None)
                return out
            out.append(line)


# ---------------------------------------------------------------- daemon

def proc_stat(pid):
    """The fields of /proc/PID/stat after the command name (state is [0],
    ppid [1], utime [11], stime [12]), or None if there is no such
    process.  Readable even for the sandboxed, non-dumpable children."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()


class Daemon:
    """A secchatd in a temporary directory, on 127.0.0.1 and a free port."""

    def __init__(self, users=(("alice", "alice-pw"), ("bob", "bob-pw"),
                              ("carol", "carol-pw")), extra_conf="",
                 algorithm="pbkdf2-sha256", bindir=None):
        self.secchatd = os.path.join(bindir, "secchatd") if bindir else SECCHATD
        self.passwd = (os.path.join(bindir, "secchat-passwd") if bindir
                       else PASSWD)
        self.dir = tempfile.mkdtemp(prefix="secchat-test-")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "secchatd.conf")
        self.users = os.path.join(self.dir, "users")
        self.hostkey = os.path.join(self.dir, "host_key")
        self.pidfile = os.path.join(self.dir, "secchatd.pid")
        self.empty = os.path.join(self.dir, "empty")
        os.mkdir(self.empty, 0o755)
        # Never the system's /run: a test's own, or "none".
        self.control_socket = os.path.join(self.dir, "ctl.sock")
        self.privsep_user = "nobody"
        self.listen_port = 0
        self.proc = None
        self.port = None
        self.log = None
        self.extra_conf = extra_conf
        self.write_conf(extra_conf)
        for name, pw in users:
            self.add_user(name, pw, algorithm)

    def write_conf(self, extra=""):
        with open(self.conf, "w") as f:
            f.write("ListenAddress 127.0.0.1\n"
                    "Port %d\n"
                    "HostKey %s\n"
                    "UsersFile %s\n"
                    "PidFile %s\n"
                    "ControlSocket %s\n"
                    "PrivsepUser %s\n"
                    "PrivsepDirectory %s\n" % (
                        self.listen_port, self.hostkey, self.users,
                        self.pidfile, self.control_socket,
                        self.privsep_user, self.empty))
            f.write(extra)

    def add_user(self, name, pw, algorithm="pbkdf2-sha256"):
        args = [self.passwd, "-f", self.users, "-s", "-a", algorithm]
        if algorithm == "pbkdf2-sha256":
            args += ["-r", "1000"]   # cheap: the tests measure no hashing
        r = subprocess.run(args + ["add", name], input=(pw + "\n").encode(),
                           capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("secchat-passwd add %s: %s" %
                               (name, r.stderr.decode()))

    def start(self, args=(), own_group=False):
        """own_group: the daemon leads a process group of its own, as it
        does once it has detached, so that a test can aim at that group
        without reaching the test runner's."""
        env = dict(os.environ)
        # LeakSanitizer cannot work in a chroot under seccomp (it needs
        # /proc and ptrace): off for the daemon, on for the client.
        env["ASAN_OPTIONS"] = ":".join(
            [o for o in [os.environ.get("ASAN_OPTIONS", "")] if o] +
            ["detect_leaks=0"])
        self.proc = subprocess.Popen(
            WRAP + [self.secchatd, "-D", "-e", "-f", self.conf] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env, start_new_session=own_group)
        self.log = Lines(self.proc.stderr, "secchatd")
        m = self.log.expect(r"listening on 127\.0\.0\.1 port (\d+)")
        if not m:
            raise RuntimeError("secchatd did not start:\n" +
                               "\n".join(self.log.all))
        self.port = int(m.group(1))
        # The master says "ready" alone; a child's debug lines may say more.
        if not self.log.expect(r"^ready$"):
            raise RuntimeError("secchatd not ready:\n" +
                               "\n".join(self.log.all))
        return self

    def pid(self):
        return self.proc.pid

    def children(self):
        """[(pid, cmdline)] of the daemon's processes (not the master)."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                st = proc_stat(int(d))
                if st is None or int(st[1]) != self.proc.pid:
                    continue
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(
                        "utf-8", "replace").strip()
                out.append((int(d), cmd))
            except (OSError, ValueError):
                pass
        return out

    def role_pids(self, role):
        return [p for p, cmd in self.children() if cmd.startswith(role)]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.closed.wait(5)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- client

class Client:
    """A real secchat in pipe mode, its stdout collected line by line."""

    def __init__(self, daemon, user, password, extra=(), home=None,
                 accept_new=True, binary=None):
        self.home = home or os.path.join(daemon.dir, "home-" + user)
        os.makedirs(self.home, exist_ok=True)
        pwfile = os.path.join(self.home, "password")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        os.chmod(pwfile, 0o600)
        args = [binary or SECCHAT, "-p", str(daemon.port), "-u", user,
                "-P", pwfile]
        if accept_new:
            args += ["-o", "StrictHostKeyChecking=accept-new"]
        args += list(extra) + ["127.0.0.1"]
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = self.home
        env["HOME"] = self.home
        self.proc = subprocess.Popen(WRAP + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out = Lines(self.proc.stdout, user + ".out")
        self.err = Lines(self.proc.stderr, user + ".err")

    def send(self, line):
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self, timeout=WAIT):
        """The exit status, once the process has exited and everything it
        wrote has been read; None on timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.out.closed.wait(timeout)
        self.err.closed.wait(timeout)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- raw protocol

def _hmac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def _hkdf(ck, ikm, n):
    prk = _hmac(ck, ikm)
    out, t = [], b""
    for i in range(1, n + 1):
        t = _hmac(prk, t + bytes([i]))
        out.append(t)
    return out


class _Cipher:
    def __init__(self, suite, k):
        from cryptography.hazmat.primitives.ciphers.aead import (
            AESGCM, ChaCha20Poly1305)
        self.suite = suite
        self.k = k
        self.n = 0
        self.aead = AESGCM(k) if suite == 1 else ChaCha20Poly1305(k)

    def _nonce(self):
        if self.suite == 1:
            return b"\0" * 4 + struct.pack(">Q", self.n)
        return b"\0" * 4 + struct.pack("<Q", self.n)

    def encrypt(self, ad, pt):
        ct = self.aead.encrypt(self._nonce(), pt, ad)
        self.n += 1
        return ct

    def decrypt(self, ad, ct):
        pt = self.aead.decrypt(self._nonce(), ct, ad)
        self.n += 1
        return pt


def _x25519():
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey)
    return X25519PrivateKey.generate()


def _pub(priv):
    from cryptography.hazmat.primitives import serialization
    return priv.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _dh(priv, pub):
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PublicKey)
    return priv.exchange(X25519PublicKey.from_public_bytes(pub))


def wstr(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">H", len(s)) + s


MSG = dict(AUTH=0x01, SAY=0x10, ACT=0x12, PRIVMSG=0x13, JOIN=0x20, PART=0x21,
           WHO=0x22, ROOMS=0x23, PING=0x30, PONG=0x31, BYE=0x3F,
           AUTH_OK=0x02, AUTH_FAIL=0x03, MESSAGE=0x11, ACTION=0x14,
           PRIVATE=0x15, HISTORY=0x16, JOINED=0x24, PARTED=0x25,
           ARRIVED=0x26, DEPARTED=0x27, NAMES=0x28, ROOMLIST=0x29,
           NOTICE=0x3D, ERROR=0x3E)


class ProtocolClosed(Exception):
    pass


class RawClient:
    """The protocol from doc/protocol.md, written independently of the C
    code, with ways to misbehave."""

    def __init__(self, port, host="127.0.0.1", timeout=WAIT, source=None):
        """source: a loopback address (127.0.0.0/8) to connect from, so
        that one test can be many sources."""
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        self.tx = self.rx = None
        self.server_static = None

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">H", len(payload)) + payload)

    def recv_frame(self):
        while True:
            if len(self.buf) >= 2:
                n = struct.unpack(">H", self.buf[:2])[0]
                if len(self.buf) >= 2 + n:
                    f = self.buf[2:2 + n]
                    self.buf = self.buf[2 + n:]
                    return f
            try:
                d = self.sock.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                raise ProtocolClosed()
            self.buf += d

    def hello(self, suites=(2,)):
        ch = b"SECCHAT1" + bytes([len(suites)]) + bytes(suites)
        self.send_frame(ch)
        sh = self.recv_frame()
        if sh[:8] != b"SECCHAT1":
            raise ValueError("bad server hello")
        self.suite = sh[8]
        self.refusal = sh[9:].decode("utf-8", "replace")
        self.prologue = ch + sh
        return self.suite

    def handshake(self, first_payload, static=None):
        """Noise XX as initiator; returns after sending message 3."""
        self.handshake_with(lambda hs2, rs, s: first_payload, static)

    def handshake_with(self, payload_fn, static=None):
        """Noise XX as initiator.  payload_fn(hs2, server_static, static)
        returns message 3's payload, made once message 2 is read: a key
        login's proof (doc/protocol.md 11.3) binds hs2, the handshake hash
        then, which is kept in self.hs2."""
        suite = self.suite
        name = (b"Noise_XX_25519_AESGCM_SHA256" if suite == 1 else
                b"Noise_XX_25519_ChaChaPoly_SHA256")
        h = name + b"\0" * (32 - len(name))
        ck = h
        h = hashlib.sha256(h + self.prologue).digest()
        s = static or _x25519()
        e = _x25519()
        state = {"h": h, "ck": ck, "k": None}

        def mixhash(data):
            state["h"] = hashlib.sha256(state["h"] + data).digest()

        def mixkey(ikm):
            state["ck"], tk = _hkdf(state["ck"], ikm, 2)
            state["k"] = _Cipher(suite, tk)

        def enc(pt):
            if state["k"] is None:
                mixhash(pt)
                return pt
            ct = state["k"].encrypt(state["h"], pt)
            mixhash(ct)
            return ct

        def dec(ct):
            if state["k"] is None:
                mixhash(ct)
                return ct
            pt = state["k"].decrypt(state["h"], ct)
            mixhash(ct)
            return pt

        # -> e
        epub = _pub(e)
        mixhash(epub)
        self.send_frame(epub + enc(b""))
        # <- e, ee, s, es
        m2 = self.recv_frame()
        re_ = m2[:32]
        mixhash(re_)
        mixkey(_dh(e, re_))
        rs = dec(m2[32:32 + 48])
        mixkey(_dh(e, rs))
        if dec(m2[80:]) != b"":
            raise ValueError("message 2 payload not empty")
        self.server_static = rs
        self.hs2 = state["h"]
        payload = payload_fn(self.hs2, rs, s)
        # -> s, se
        m3 = enc(_pub(s))
        mixkey(_dh(s, re_))
        m3 += enc(payload)
        self.send_frame(m3)
        c1, c2 = _hkdf(state["ck"], b"", 2)
        self.tx = _Cipher(suite, c1)
        self.rx = _Cipher(suite, c2)

    def login(self, user, password, suites=(2,)):
        self.hello(suites)
        self.handshake(bytes([MSG["AUTH"]]) + wstr(user) + wstr(password))
        return self.recv_msg()

    def send_msg(self, body):
        self.send_frame(self.tx.encrypt(b"", body))

    def send_auth(self, user, password):
        self.send_msg(bytes([MSG["AUTH"]]) + wstr(user) + wstr(password))

    def say(self, room, text):
        self.send_msg(bytes([MSG["SAY"]]) + wstr(room) + wstr(text))

    def recv_msg(self):
        return self.rx.decrypt(b"", self.recv_frame())

    def recv_until(self, type_, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv_msg()
            if m[0] == type_:
                return m
        return None

    def closed(self, timeout=WAIT):
        """True when the server closes the connection within timeout;
        anything it sends before that is read and dropped."""
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_str(data, off):
    n = struct.unpack(">H", data[off:off + 2])[0]
    return data[off + 2:off + 2 + n].decode("utf-8", "replace"), off + 2 + n


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def key_fingerprint(key):
    """A public key's fingerprint as secchat prints it (unpadded base64 of
    its SHA-256)."""
    return "SHA256:" + base64.b64encode(
        hashlib.sha256(key).digest()).decode().rstrip("=")


def scan_memory(pids, needles, limit=1 << 30):
    """Search the readable memory of each process (as root, through
    /proc/PID/mem) for each needle (bytes).
    Returns ({needle: {pids where found}}, [(pid, why) not read]).
    Regions larger than limit (a sanitizer's shadow) are passed over."""
    hits = {n: set() for n in needles}
    unread = []
    over = max(len(n) for n in needles) - 1
    for pid in pids:
        try:
            with open("/proc/%d/maps" % pid) as f:
                maps = f.read().splitlines()
            mem = open("/proc/%d/mem" % pid, "rb", 0)
        except OSError as e:
            unread.append((pid, str(e)))
            continue
        got = 0
        with mem:
            for line in maps:
                f = line.split(None, 5)
                lo, hi = (int(x, 16) for x in f[0].split("-"))
                name = f[5] if len(f) > 5 else ""
                if (f[1][0] != "r" or name.startswith("[vvar") or
                        name == "[vsyscall]" or hi - lo > limit):
                    continue
                tail, a = b"", lo
                while a < hi:
                    n = min(hi - a, 8 << 20)
                    try:
                        mem.seek(a)
                        data = mem.read(n)
                    except (OSError, OverflowError):
                        break
                    got += len(data)
                    buf = tail + data
                    for nd in needles:
                        if nd in buf:
                            hits[nd].add(pid)
                    tail = buf[-over:] if over else b""
                    a += n
        if got == 0:
            unread.append((pid, "no region could be read"))
    return hits, unread


def process_titles(d, pids):
    """The daemon's processes in pids by their titles, for messages."""
    titles = dict(d.children())
    titles[d.pid()] = "master"
    return sorted(titles.get(p, str(p)) for p in pids)


def wait_for(cond, timeout=WAIT, step=0.02):
    """Poll a condition that has no event to wait on (process state in
    /proc); returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def nobody_exists():
    try:
        pwd.getpwnam("nobody")
        return True
    except KeyError:
        return False
