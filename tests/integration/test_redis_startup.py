"""Engine redis with Redis unreachable when the daemon starts.
RedisStartup fail: the daemon says so and exits.  RedisStartup retry (the
default): it starts, says it is retrying, serves logins meanwhile, and once
a redis-server appears on the configured socket it connects, and the
sessions that logged in meanwhile are in the lobby and hear each other.
Skipped, with the reason, when redis-server is not installed or secchatd
was built without the Redis engine."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, RawClient, MSG,  # noqa: E402
                     ProtocolClosed)
from redisfix import RedisServer, find_redis  # noqa: E402

tap = Tap()


def skip_all(why):
    tap.skip("Redis unreachable at start", why)
    tap.done()


def conf(sock, startup):
    return ("Engine redis\nRedisAddress %s\nNodeName n1\n"
            "RedisKeyPrefix t%d\nRedisStartup %s\n" % (sock, os.getpid(),
                                                       startup))


def recv_type(c, type_, timeout=30):
    """The first message of type_, or None by the deadline or a close."""
    deadline = time.monotonic() + timeout
    c.sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            m = c.recv_msg()
        except socket.timeout:
            continue
        except (ProtocolClosed, OSError, ValueError):
            return None
        if m[0] == type_:
            return m
    return None


rpath, why = find_redis()
if rpath is None:
    skip_all(why)
# Not started yet: the daemon first runs without it.
redis = RedisServer(rpath, durable=False)
sock = redis.sock

# RedisStartup fail: no daemon without its Redis.
d = Daemon(extra_conf=conf(sock, "fail"))
try:
    try:
        d.start()
        started = True
    except RuntimeError:
        started = False
    tap.ok(not started, "RedisStartup fail: the daemon does not start")
    try:
        rc = d.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    tap.ok(rc is not None and rc != 0,
           "RedisStartup fail: it exits with a failure (%r)" % rc)
    tap.ok(d.log.wait_seen(r"Redis at .*\(RedisStartup fail\)", 5) != [],
           "RedisStartup fail: it says why")
finally:
    d.cleanup()

# RedisStartup retry: the daemon starts and waits for Redis.
d = Daemon(extra_conf=conf(sock, "retry"))
try:
    d.start()
    tap.ok(d.log.wait_seen(r"Redis at .*retrying", 10) != [],
           "RedisStartup retry: the daemon starts and says it is retrying")
    alice = RawClient(d.port)
    ok = alice.login("alice", "alice-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"],
           "a login is served while Redis is away")
    tap.ok(redis.start(), "redis-server appears on the socket")
    tap.ok(d.log.wait_seen(r"Redis at .*connected", 60) != [],
           "the daemon connects once Redis is there")
    tap.ok(recv_type(alice, MSG["JOINED"]) is not None,
           "the session that logged in meanwhile is in the lobby")
    bob = RawClient(d.port)
    ok = bob.login("bob", "bob-pw")
    tap.ok(ok is not None and ok[0] == MSG["AUTH_OK"], "bob logs in")
    tap.ok(recv_type(bob, MSG["JOINED"]) is not None, "bob is in the lobby")
    bob.say("lobby", "after the wait")
    m = recv_type(alice, MSG["MESSAGE"])
    tap.ok(m is not None and b"after the wait" in m,
           "alice hears bob through Redis")
    alice.close()
    bob.close()
finally:
    d.cleanup()
    redis.cleanup()

tap.done()
