"""Reconnecting: the interactive client (in tmux) comes back after the
server restarts, joins its rooms again with the same current room, keeps
the half-typed line, and sends a line typed while disconnected once it is
back (saying so meanwhile).  A changed host key stops it.  In pipe mode
it does not reconnect unless told to (-o Reconnect=yes), and then does."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, wait_for  # noqa: E402
from tmux import (Tmux, client_command, client_home,  # noqa: E402
                  skip_without_tmux)

tap = Tap()
skip_without_tmux(tap, "interactive client in tmux")

d = Daemon()
tm = None


def screen():
    """The pane and its history: the notes of each reconnection scroll."""
    return tm.screen(start="-200")


def restart(daemon, stop_only=False):
    """Stop the daemon, then (unless stop_only) start it again on the
    same port with the same host key."""
    daemon.stop()
    if stop_only:
        return
    start_again(daemon)


def start_again(daemon):
    daemon.listen_port = daemon.port
    daemon.write_conf(daemon.extra_conf)
    daemon.start()


bob = None
try:
    d.start()
    tm = Tmux(d)
    home, pw = client_home(d, "alice")
    cmd = (client_command(d, home, pw, env="LANG=C.UTF-8", opts="-F none") +
           "; echo secchat-exited-$?; sleep 60")
    r = tm.new_session("chat", 120, 40, cmd)
    tap.ok(r.returncode == 0, "tmux runs secchat")
    tap.ok(wait_for(lambda: "[lobby]" in screen()), "logged in, in lobby")
    for room in ("other", "work"):
        tm.typed("/join " + room)
        tap.ok(wait_for(lambda: "[%s]" % room in tm.last_row()),
               "joined " + room)
    tm.typed("/part lobby")
    tap.ok(wait_for(lambda: "left lobby" in screen() or
                    "parted lobby" in screen() or "lobby" in screen()),
           "left lobby")
    tm.text("half typed")
    tap.ok(wait_for(lambda: tm.last_row().endswith("half typed")),
           "the draft is on the input line")

    restart(d)
    tap.ok(wait_for(lambda: "reconnecting in" in screen()),
           "a loss is followed by a note of the next attempt")
    tap.ok(wait_for(lambda: "reconnected after" in screen(), timeout=30),
           "the client reconnects after the server restarts")
    s = screen()
    tap.diag("screen:\n" + s)
    tap.ok("secchat-exited" not in s, "secchat did not exit")
    tap.ok(wait_for(lambda: tm.last_row().endswith("half typed") and
                    "[work]" in tm.last_row()),
           "the draft is intact, and the current room is work again")

    bob = Client(d, "bob", "bob-pw", extra=["-F", "none"])
    bob.out.expect(r" login bob$")
    bob.send("/who work")
    tap.ok(bob.out.expect(r" names work .*\balice\b") is not None,
           "alice is in work again")
    bob.send("/who other")
    tap.ok(bob.out.expect(r" names other .*\balice\b") is not None,
           "and in other")
    bob.send("/who lobby")
    m = bob.out.expect(r" names lobby( .*)?$")
    tap.ok(m is not None and "alice" not in (m.group(1) or ""),
           "and not in lobby, which she had left")
    bob.send("/join work")
    bob.out.expect(r" joined work$")
    tm.typed(" line")
    tap.ok(bob.out.expect(r" message work alice half typed line$")
           is not None, "the finished draft goes to work")
    bob.close_stdin()
    bob.wait()
    bob = None

    # A line typed while the server is away.
    restart(d, stop_only=True)
    tap.ok(wait_for(lambda: screen().count("reconnecting in") >= 2),
           "the loss is noticed")
    tm.typed("typed while down")
    tap.ok(wait_for(lambda: "not sent yet (disconnected)" in screen()),
           "a line typed while disconnected is marked as not sent yet")
    start_again(d)
    tap.ok(wait_for(lambda: screen().count("reconnected after") >= 2,
                    timeout=40), "reconnected again")
    tap.ok(wait_for(lambda: "sending what you typed while disconnected"
                    in screen()), "the held line is sent, and said so")
    bob = Client(d, "bob", "bob-pw", extra=["-F", "none"])
    bob.out.expect(r" login bob$")
    bob.send("/join work")
    tap.ok(bob.out.expect(r"work alice typed while down$") is not None,
           "the held line reached the room (history or live)")

    # /quit while disconnected leaves at once.
    restart(d, stop_only=True)
    tap.ok(wait_for(lambda: screen().count("reconnecting in") >= 3),
           "disconnected a third time")
    tm.typed("/quit")
    tap.ok(wait_for(lambda: "secchat-exited-0" in screen()),
           "/quit while disconnected leaves, with status 0")
    start_again(d)
    bob.close_stdin()
    bob.wait()
    bob = None

    # Pipe mode: no reconnect by default; with Reconnect=yes, yes.
    carol = Client(d, "carol", "carol-pw", extra=["-F", "none"])
    carol.out.expect(r" login carol$")
    dave = Client(d, "bob", "bob-pw", extra=["-F", "none", "-o",
                                            "Reconnect=yes"])
    dave.out.expect(r" login bob$")
    restart(d)
    rc = carol.wait()
    tap.ok(rc not in (None, 0), "pipe mode without Reconnect ends (%r)" % rc)
    tap.ok(dave.err.expect(r"reconnected after", timeout=30) is not None,
           "pipe mode with Reconnect=yes reconnects")
    dave.send("/join work")
    dave.send("after the restart")
    dave.close_stdin()
    tap.ok(dave.wait() == 0, "and sends what follows, exiting 0")

    # Keepalive: a PING after ServerAliveInterval of silence, its lag shown
    # with -v.
    frank = Client(d, "bob", "bob-pw", extra=["-F", "none", "-v", "-o",
                                             "ServerAliveInterval=1"])
    frank.out.expect(r" login bob$")
    tap.ok(frank.err.expect(r"lag \d+ ms", timeout=10) is not None,
           "a keepalive PING after 1 s of silence; -v shows the lag")
    frank.close_stdin()
    tap.ok(frank.wait() == 0, "and it leaves cleanly")

    # A changed host key stops reconnecting.
    erin = Client(d, "carol", "carol-pw", extra=["-F", "none", "-o",
                                                "Reconnect=yes"])
    erin.out.expect(r" login carol$")
    d.stop()
    os.unlink(d.hostkey)
    os.unlink(d.hostkey + ".pub")
    start_again(d)
    rc = erin.wait(timeout=40)
    tap.ok(rc == 5, "a changed host key ends it, exit 5 (got %r)" % rc)
    tap.ok(erin.err.seen(r"host key verification failed") and
           erin.err.seen(r"reconnecting to"),
           "after one attempt, saying why")
finally:
    if bob is not None:
        bob.kill()
    if tm is not None:
        tm.kill()
    d.cleanup()
tap.done()
