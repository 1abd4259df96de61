"""Keep-alive: after ClientAliveInterval of silence the server pings; a
client that answers stays, one that does not is cut after
ClientAliveTimeout and the others are told."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, RawClient, MSG, parse_str  # noqa

tap = Tap()
d = Daemon(extra_conf="ClientAliveInterval 1\nClientAliveTimeout 2\n")
try:
    d.start()
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" login alice$") is not None, "alice logs in")
    r = RawClient(d.port)
    tap.ok(r.login("bob", "bob-pw")[0] == MSG["AUTH_OK"], "bob logs in with "
           "a raw client that will never answer a ping")
    ping = r.recv_until(MSG["PING"], timeout=10)
    tap.ok(ping is not None and len(ping) == 9,
           "the server pings bob after a second of silence")
    bye = r.recv_until(MSG["BYE"], timeout=10)
    tap.ok(bye is not None and parse_str(bye, 1)[0] == "idle timeout",
           "bob is sent BYE \"idle timeout\" when he does not answer")
    tap.ok(r.closed(), "and his connection is closed")
    tap.ok(a.out.wait_seen(r" departed lobby bob "),
           "alice is told bob left")
    tap.ok(d.log.expect(r"Disconnected bob .*no answer to ping") is not None,
           "the daemon logs why")
    # Alice's client answers the pings; she is still there.
    c = Client(d, "carol", "carol-pw")
    c.out.expect(r" login carol$")
    c.send("still there?")
    tap.ok(a.out.expect(r" message lobby carol still there\?$") is not None,
           "alice, who answers pings, is still connected after bob was cut")
    a.send("exit")
    c.send("exit")
    tap.ok(a.wait() == 0 and c.wait() == 0, "both leave normally")
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
