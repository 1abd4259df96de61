"""A redis-server of the test's own for the tests of Engine redis: on a
Unix socket in a temporary directory, no TCP port."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import Daemon, SECCHATD


def find_redis():
    """(path of redis-server, None), or (None, why the Redis tests cannot
    run here): no redis-server, or a secchatd built without the engine."""
    rpath = shutil.which("redis-server")
    if rpath is None:
        return None, "redis-server is not installed"
    probe = Daemon(users=())
    try:
        probe.write_conf("Engine redis\n")
        r = subprocess.run([SECCHATD, "-T", "-f", probe.conf],
                           capture_output=True)
        if b"without Redis support" in r.stderr:
            return None, "secchatd was built without the Redis engine"
    finally:
        probe.cleanup()
    return rpath, None


class RedisServer:
    """durable: every write is on disk before it is answered, so that a
    restart keeps what was acknowledged."""

    def __init__(self, path, durable=True):
        self.dir = tempfile.mkdtemp(prefix="secchat-redis-")
        self.sock = os.path.join(self.dir, "redis.sock")
        self.path = path
        self.durable = durable
        self.proc = None

    def start(self):
        """Starts it and waits until it answers; whether it does."""
        if self.durable:
            persist = ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            persist = ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [self.path, "--port", "0", "--unixsocket", self.sock,
             "--unixsocketperm", "700", "--dir", self.dir] + persist +
            ["--save", "", "--daemonize", "no", "--logfile", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.ping():
                return True
            time.sleep(0.05)
        return False

    def ping(self):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(2)
            s.connect(self.sock)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            ok = s.recv(64).startswith(b"+PONG")
            s.close()
            return ok
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
