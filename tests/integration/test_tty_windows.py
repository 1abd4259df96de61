"""The screen in a real terminal (tmux): a window per room with a status
row counting unread lines, switching with /window and Alt-2 while the
half-typed line stays, PageUp for earlier lines, the bell, highlight and
title on a mention, colours per name; NO_COLOR gives no colours and
TERM=dumb no SGR at all; pipe mode stays plain.  What the client writes
is recorded raw with tmux's pipe-pane."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, wait_for  # noqa: E402
from tmux import (Tmux, client_command, client_home,  # noqa: E402
                  skip_without_tmux)

tap = Tap()
skip_without_tmux(tap, "windows in tmux")

d = Daemon()
tm = None
SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def status_row(s="chat"):
    r = tm.rows(s)
    return r[-2] if len(r) > 1 else ""


def colours(raw):
    """The SGR parameters that set a colour, in raw output."""
    out = []
    for m in SGR.finditer(raw):
        for p in m.group(1).split(b";"):
            if p and (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
                out.append(int(p))
    return out


def start(name, env):
    """secchat as alice in a new tmux session; returns its raw log."""
    home, pw = client_home(d, name)
    raw = os.path.join(d.dir, "raw-" + name)
    open(raw, "w").close()
    # The sleep lets pipe-pane start before secchat writes anything.
    cmd = ("sleep 0.5; " + client_command(d, home, pw, env=env) +
           "; echo secchat-ended; exec cat")
    r = tm.new_session(name, 100, 30, "sh", "-c", cmd)
    tm("pipe-pane", "-O", "-t", name, "cat >> %s" % raw)
    tap.ok(r.returncode == 0, "%s: tmux runs secchat" % name)
    return raw


def rawbytes(path):
    with open(path, "rb") as f:
        return f.read()


try:
    d.start()
    tm = Tmux(d)
    raw = start("chat", "TERM=xterm-256color")
    tap.ok(wait_for(lambda: tm.last_row().startswith("[lobby]")),
           "the prompt is shown")
    tap.ok(wait_for(lambda: "[2:lobby]" in status_row()),
           "the status row lists the status window and lobby: %r" %
           status_row())
    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("/join b")
    bob.out.expect(r" joined b$")

    tm.typed("/join b")
    tap.ok(wait_for(lambda: tm.last_row().startswith("[b]") and
                    "[3:b]" in status_row()),
           "/join opens window 3: %r" % status_row())
    bob.send("/join lobby")
    bob.send("hello lobby")
    tap.ok(wait_for(lambda: "2:lobby(1)" in status_row()),
           "a line in lobby counts as unread there: %r" % status_row())
    tap.ok("hello lobby" not in tm.screen(), "and is not shown in window 3")
    title = tm.title().strip()
    tap.ok(title == "secchat: b, 1 unread", "the title counts it: %r" %
           title)

    tm.text("half typed")
    tm.keys("M-2")
    tap.ok(wait_for(lambda: "hello lobby" in tm.screen() and
                    tm.last_row() == "[lobby] half typed"),
           "Alt-2 shows lobby, with the half-typed line kept: %r" %
           tm.last_row())
    tap.ok(wait_for(lambda: "[2:lobby]" in status_row() and
                    "(1)" not in status_row()),
           "and the unread count is gone: %r" % status_row())
    tm.keys("C-u")
    tm.typed("/window 3")
    tap.ok(wait_for(lambda: tm.last_row().startswith("[b]") and
                    "hello lobby" not in tm.screen()),
           "/window 3 switches back")
    tm.typed("in b")
    tap.ok(bob.out.expect(r" message b alice in b$") is not None,
           "a line typed goes to window 3's room")
    tm.typed("/window")
    tap.ok(wait_for(lambda: "window 2: lobby" in tm.screen() and
                    "window 3: b (current)" in tm.screen()),
           "/window lists the windows")

    # A mention: the bell, a highlight, a mark.
    before = len(rawbytes(raw))
    bob.send("/join lobby")
    bob.send("alice: are you there?")
    tap.ok(wait_for(lambda: "2:lobby(1!)" in status_row()),
           "a mention in another window is marked: %r" % status_row())
    got = rawbytes(raw)[before:]
    tap.ok(wait_for(lambda: b"\x07" in rawbytes(raw)[before:]),
           "the bell rang")
    tm.keys("M-2")
    tap.ok(wait_for(lambda: "are you there" in tm.screen()), "Alt-2 shows it")
    got = rawbytes(raw)
    tap.ok(b"\x1b[1;33malice: are you there?" in got,
           "the mention is highlighted")
    tap.ok(len(set(colours(got))) >= 2, "names and styles are coloured")
    tap.ok(b"\x1b]2;secchat: lobby\x07" in got,
           "the title is set by the client: %r" %
           re.findall(rb"\x1b\]2;[^\x07]*", got)[-3:])

    # Peers' escape sequences stay visible text.
    bob.send("evil\x1b[31mred\x1b]2;owned\x07")
    tap.ok(wait_for(lambda: "evil" in tm.screen()), "a message with escapes")
    tap.ok(b"\x1b]2;owned" not in rawbytes(raw) and
           "\\033[31mred" in tm.screen(),
           "its escape sequences never reach the terminal")

    # Scrollback.
    for i in range(40):
        bob.send("scroll %02d" % i)
    tap.ok(wait_for(lambda: "scroll 39" in tm.screen(), timeout=30),
           "40 lines arrive")
    tm.text("draft")
    tm.keys("PPage")
    tap.ok(wait_for(lambda: "scroll 39" not in tm.screen() and
                    "more below" in status_row()),
           "PageUp shows earlier lines: %r" % status_row())
    for _ in range(3):
        if wait_for(lambda: "hello lobby" in tm.screen(), timeout=1):
            break
        tm.keys("PPage")
    tap.ok(wait_for(lambda: "hello lobby" in tm.screen()),
           "PageUp again reaches the start")
    tap.ok(tm.last_row() == "[lobby] draft",
           "the draft stays: %r" % tm.last_row())
    for _ in range(5):
        tm.keys("NPage")
    tap.ok(wait_for(lambda: "scroll 39" in tm.screen() and
                    "more below" not in status_row()),
           "PageDown comes back to the end")
    tm.keys("C-u")
    tm.typed("/quit")
    tap.ok(wait_for(lambda: "secchat-ended" in tm.screen()), "secchat ends")

    # Pipe mode: bob's lines are as they always were.
    seen = [l for l in bob.out.all if " alice " in l]
    tap.ok(seen and all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \S+", l) and
                        "\x1b" not in l and "\x07" not in l for l in seen),
           "pipe mode: the same line format, no escapes: %r" % seen[:2])

    # NO_COLOR: no colours.
    raw = start("nocolour", "TERM=xterm-256color NO_COLOR=1")
    tap.ok(wait_for(lambda: tm.last_row("nocolour").startswith("[lobby]")),
           "NO_COLOR: the prompt")
    bob.send("hello again")
    tap.ok(wait_for(lambda: "hello again" in tm.screen("nocolour")),
           "NO_COLOR: a message arrives")
    time.sleep(0.3)
    got = rawbytes(raw)
    tap.ok(colours(got) == [], "NO_COLOR: no colour SGR sequences: %r" %
           colours(got)[:5])
    tm.typed("/quit", s="nocolour")
    tap.ok(wait_for(lambda: "secchat-ended" in tm.screen("nocolour")),
           "NO_COLOR: secchat ends")

    # TERM=dumb: no SGR at all, no title, and it works.
    raw = start("dumb", "TERM=dumb")
    tap.ok(wait_for(lambda: tm.last_row("dumb").startswith("[lobby]")),
           "TERM=dumb: the prompt")
    bob.send("hello dumb")
    tap.ok(wait_for(lambda: "hello dumb" in tm.screen("dumb")),
           "TERM=dumb: a message arrives")
    tm.text("x", s="dumb")
    tm.keys("M-1", s="dumb")
    tap.ok(wait_for(lambda: tm.last_row("dumb") == "> x"),
           "TERM=dumb: Alt-1 goes to the status window")
    time.sleep(0.3)
    got = rawbytes(raw)
    tap.ok(not SGR.search(got) and b"\x1b]" not in got,
           "TERM=dumb: no SGR, no title")
    tm.keys("C-u", s="dumb")
    tm.typed("/quit", s="dumb")
    tap.ok(wait_for(lambda: "secchat-ended" in tm.screen("dumb")),
           "TERM=dumb: secchat ends")
    bob.send("exit")
    bob.wait()
finally:
    if tm:
        tm.kill()
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
