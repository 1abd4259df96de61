"""The screen in a real terminal (tmux): a window per room with a status
row counting unread lines, switching with /window and Alt-2 while the
half-typed line stays, PageUp for earlier lines, the bell, highlight and
title on a mention, colours per name; NO_COLOR gives no colours and
TERM=dumb no SGR at all; pipe mode stays plain.  What the client writes
is recorded raw with tmux's pipe-pane."""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, SECCHAT, wait_for  # noqa: E402

tap = Tap()
if shutil.which("tmux") is None:
    tap.skip("windows in tmux", "tmux is not installed")
    tap.done()

d = Daemon()
sock = None
SGR = re.compile(rb"\x1b\[([0-9;]*)m")


def tmux(*args):
    return subprocess.run(["tmux", "-S", sock] + list(args),
                          capture_output=True, text=True)


def screen(s="chat"):
    return tmux("capture-pane", "-p", "-t", s).stdout


def rows(s="chat"):
    return [l.rstrip() for l in screen(s).splitlines() if l.strip()]


def last_row(s="chat"):
    r = rows(s)
    return r[-1] if r else ""


def status_row(s="chat"):
    r = rows(s)
    return r[-2] if len(r) > 1 else ""


def keys(*k, s="chat"):
    tmux("send-keys", "-t", s, *k)


def text(t, s="chat"):
    tmux("send-keys", "-t", s, "-l", t)


def typed(t, s="chat"):
    text(t, s)
    keys("Enter", s=s)


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
    home = os.path.join(d.dir, "home-" + name)
    os.makedirs(home)
    pw = os.path.join(home, "password")
    with open(pw, "w") as f:
        f.write("alice-pw\n")
    raw = os.path.join(d.dir, "raw-" + name)
    open(raw, "w").close()
    # The sleep lets pipe-pane start before secchat writes anything.
    cmd = ("sleep 0.5; env %s XDG_CONFIG_HOME=%s HOME=%s "
           "ASAN_OPTIONS=detect_leaks=0 %s -p %d -u alice -P %s "
           "-o StrictHostKeyChecking=accept-new 127.0.0.1; "
           "echo secchat-ended; exec cat"
           % (env, home, home, SECCHAT, d.port, pw))
    first = sock is None or tmux("has-session").returncode != 0
    r = tmux(*(["-f", "/dev/null"] if first else []), "new-session", "-d",
             "-s", name, "-x", "100", "-y", "30", "sh", "-c", cmd)
    tmux("pipe-pane", "-O", "-t", name, "cat >> %s" % raw)
    tap.ok(r.returncode == 0, "%s: tmux runs secchat" % name)
    return raw


def rawbytes(path):
    with open(path, "rb") as f:
        return f.read()


try:
    d.start()
    sock = os.path.join(d.dir, "tmux.sock")
    raw = start("chat", "TERM=xterm-256color")
    tap.ok(wait_for(lambda: last_row().startswith("[lobby]")),
           "the prompt is shown")
    tap.ok(wait_for(lambda: "[2:lobby]" in status_row()),
           "the status row lists the status window and lobby: %r" %
           status_row())
    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("/join b")
    bob.out.expect(r" joined b$")

    typed("/join b")
    tap.ok(wait_for(lambda: last_row().startswith("[b]") and
                    "[3:b]" in status_row()),
           "/join opens window 3: %r" % status_row())
    bob.send("/join lobby")
    bob.send("hello lobby")
    tap.ok(wait_for(lambda: "2:lobby(1)" in status_row()),
           "a line in lobby counts as unread there: %r" % status_row())
    tap.ok("hello lobby" not in screen(), "and is not shown in window 3")
    title = tmux("display-message", "-p", "-t", "chat",
                 "#{pane_title}").stdout.strip()
    tap.ok(title == "secchat: b, 1 unread", "the title counts it: %r" %
           title)

    text("half typed")
    keys("M-2")
    tap.ok(wait_for(lambda: "hello lobby" in screen() and
                    last_row() == "[lobby] half typed"),
           "Alt-2 shows lobby, with the half-typed line kept: %r" %
           last_row())
    tap.ok(wait_for(lambda: "[2:lobby]" in status_row() and
                    "(1)" not in status_row()),
           "and the unread count is gone: %r" % status_row())
    keys("C-u")
    typed("/window 3")
    tap.ok(wait_for(lambda: last_row().startswith("[b]") and
                    "hello lobby" not in screen()),
           "/window 3 switches back")
    typed("in b")
    tap.ok(bob.out.expect(r" message b alice in b$") is not None,
           "a line typed goes to window 3's room")
    typed("/window")
    tap.ok(wait_for(lambda: "window 2: lobby" in screen() and
                    "window 3: b (current)" in screen()),
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
    keys("M-2")
    tap.ok(wait_for(lambda: "are you there" in screen()), "Alt-2 shows it")
    got = rawbytes(raw)
    tap.ok(b"\x1b[1;33malice: are you there?" in got,
           "the mention is highlighted")
    tap.ok(len(set(colours(got))) >= 2, "names and styles are coloured")
    tap.ok(b"\x1b]2;secchat: lobby\x07" in got,
           "the title is set by the client: %r" %
           re.findall(rb"\x1b\]2;[^\x07]*", got)[-3:])

    # Peers' escape sequences stay visible text.
    bob.send("evil\x1b[31mred\x1b]2;owned\x07")
    tap.ok(wait_for(lambda: "evil" in screen()), "a message with escapes")
    tap.ok(b"\x1b]2;owned" not in rawbytes(raw) and
           "\\033[31mred" in screen(),
           "its escape sequences never reach the terminal")

    # Scrollback.
    for i in range(40):
        bob.send("scroll %02d" % i)
    tap.ok(wait_for(lambda: "scroll 39" in screen(), timeout=30),
           "40 lines arrive")
    text("draft")
    keys("PPage")
    tap.ok(wait_for(lambda: "scroll 39" not in screen() and
                    "more below" in status_row()),
           "PageUp shows earlier lines: %r" % status_row())
    for _ in range(3):
        if wait_for(lambda: "hello lobby" in screen(), timeout=1):
            break
        keys("PPage")
    tap.ok(wait_for(lambda: "hello lobby" in screen()),
           "PageUp again reaches the start")
    tap.ok(last_row() == "[lobby] draft", "the draft stays: %r" % last_row())
    for _ in range(5):
        keys("NPage")
    tap.ok(wait_for(lambda: "scroll 39" in screen() and
                    "more below" not in status_row()),
           "PageDown comes back to the end")
    keys("C-u")
    typed("/quit")
    tap.ok(wait_for(lambda: "secchat-ended" in screen()), "secchat ends")

    # Pipe mode: bob's lines are as they always were.
    seen = [l for l in bob.out.all if " alice " in l]
    tap.ok(seen and all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \S+", l) and
                        "\x1b" not in l and "\x07" not in l for l in seen),
           "pipe mode: the same line format, no escapes: %r" % seen[:2])

    # NO_COLOR: no colours.
    raw = start("nocolour", "TERM=xterm-256color NO_COLOR=1")
    tap.ok(wait_for(lambda: last_row("nocolour").startswith("[lobby]")),
           "NO_COLOR: the prompt")
    bob.send("hello again")
    tap.ok(wait_for(lambda: "hello again" in screen("nocolour")),
           "NO_COLOR: a message arrives")
    time.sleep(0.3)
    got = rawbytes(raw)
    tap.ok(colours(got) == [], "NO_COLOR: no colour SGR sequences: %r" %
           colours(got)[:5])
    typed("/quit", s="nocolour")
    tap.ok(wait_for(lambda: "secchat-ended" in screen("nocolour")),
           "NO_COLOR: secchat ends")

    # TERM=dumb: no SGR at all, no title, and it works.
    raw = start("dumb", "TERM=dumb")
    tap.ok(wait_for(lambda: last_row("dumb").startswith("[lobby]")),
           "TERM=dumb: the prompt")
    bob.send("hello dumb")
    tap.ok(wait_for(lambda: "hello dumb" in screen("dumb")),
           "TERM=dumb: a message arrives")
    text("x", s="dumb")
    keys("M-1", s="dumb")
    tap.ok(wait_for(lambda: last_row("dumb") == "> x"),
           "TERM=dumb: Alt-1 goes to the status window")
    time.sleep(0.3)
    got = rawbytes(raw)
    tap.ok(not SGR.search(got) and b"\x1b]" not in got,
           "TERM=dumb: no SGR, no title")
    keys("C-u", s="dumb")
    typed("/quit", s="dumb")
    tap.ok(wait_for(lambda: "secchat-ended" in screen("dumb")),
           "TERM=dumb: secchat ends")
    bob.send("exit")
    bob.wait()
finally:
    if sock:
        tmux("kill-server")
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
