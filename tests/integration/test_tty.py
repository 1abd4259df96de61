"""The interactive client in a real terminal (tmux): an incoming message
does not garble the half-typed line, and escape sequences a peer sends are
made visible instead of reaching the terminal.  In the C locale of a fresh
system, typed UTF-8 and Tabs are sent; messages are shown so that no part
of one can pass for a line of its own; a narrower terminal leaves no stale
input line; errors and private messages read right; commands are
case-blind; /quit takes a reason."""

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


try:
    d.start()
    tm = Tmux(d)
    home, pw = client_home(d, "alice")
    # No LANG, as on a fresh minimal system.
    cmd = client_command(d, home, pw, env="-u LANG -u LC_CTYPE LC_ALL=C")
    r = tm.new_session("chat", 100, 30, cmd)
    tap.ok(r.returncode == 0, "tmux runs secchat in a terminal")
    tap.ok(wait_for(lambda: "[lobby]" in tm.screen()),
           "the interactive client shows its prompt with the room")
    tm.text("half a li")
    tap.ok(wait_for(lambda: "half a li" in tm.screen()),
           "the half-typed line is on the screen")
    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("message from bob")
    tap.ok(wait_for(lambda: "message from bob" in tm.screen()),
           "bob's message appears")
    lines = [l.rstrip() for l in tm.screen().splitlines() if l.strip()]
    tap.diag("screen:\n" + "\n".join(lines))
    msg_line = [i for i, l in enumerate(lines) if "message from bob" in l]
    tap.ok(lines and lines[-1].endswith("half a li") and
           "[lobby]" in lines[-1], "the half line is intact on the last line, "
           "after the prompt")
    tap.ok(msg_line and msg_line[0] < len(lines) - 1 and
           "half a li" not in lines[msg_line[0]],
           "the message is on its own line above the input")
    tm.text("ne")
    tm.keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice half a line$") is not None,
           "finishing the line sends it whole")

    bob.send("before\x1b[2Jafter\x1b]0;owned\x07")
    tap.ok(wait_for(lambda: "after" in tm.screen()),
           "the message with escape sequences arrives")
    s = tm.screen()
    tap.diag("screen:\n" + s)
    tap.ok("message from bob" in s, "ESC[2J did not clear the screen")
    tap.ok(any("before" in l and "after" in l and "[2J" in l
               for l in s.splitlines()),
           "the escape sequence is shown as visible text")
    title = tm.title()
    tap.ok("owned" not in title, "an OSC sequence did not set the title")

    def rows():
        return [l.rstrip() for l in tm.screen().splitlines()]

    tm.typed("h\u00e9llo w\u00f6rld")
    m = bob.out.expect(r" message lobby alice (.*)$")
    tap.ok(m is not None and m.group(1) == "h\u00e9llo w\u00f6rld",
           "C locale: typed UTF-8 is sent, not dropped (got %r)" %
           (m.group(1) if m else None))
    tap.ok(wait_for(lambda: "locale is not UTF-8" in tm.screen()),
           "and the user is told once why it is shown escaped")
    tm.typed("one\ttwo")
    m = bob.out.expect(r" message lobby alice (.*)$")
    tap.ok(m is not None and m.group(1) == "one     two",
           "a Tab is sent as spaces, not dropped (got %r)" %
           (m.group(1) if m else None))

    bob.send("/plainmsg alice psst")
    tap.ok(wait_for(lambda: "psst" in tm.screen()),
           "a private message arrives")
    line = [l for l in rows() if "psst" in l]
    tap.ok(line and "[private from bob, NOT end-to-end] psst" in line[0] and
           "->" not in line[0], "it reads as from bob: %r" % line)
    tm.typed("/plainmsg nobody hi")
    tap.ok(wait_for(lambda: "no such user online: nobody" in tm.screen()),
           "an error to a request is shown")
    line = [l for l in rows() if "no such user online" in l]
    tap.ok(line and line[0].count("no such user") == 1,
           "and says it once: %r" % line)
    tm.typed("/HELP")
    tap.ok(wait_for(lambda: "list the commands" in tm.screen()),
           "commands are case-blind, and /help lists /help")

    # Padding that a terminal would wrap so that the fake line starts a
    # row of its own (the window is 100 columns; "HH:MM <bob> " is 12).
    bob.send("hi" + " " * 86 + "12:34 <carol> fake")
    tap.ok(wait_for(lambda: "fake" in tm.screen()), "a padded message arrives")
    tap.diag("screen:\n" + tm.screen())
    tap.ok(not [l for l in rows() if l.startswith("12:34 <carol>")],
           "no part of it starts a row as if it were a line of its own")
    bob.send("x" * 150)
    tap.ok(wait_for(lambda: "xxxxxx" in tm.screen()), "a long message arrives")
    xs = [l for l in rows() if "xxxxxx" in l]
    tap.ok(len(xs) == 2 and xs[1].startswith("      x") and
           all(len(l) < 100 for l in xs),
           "it is cut into rows that fit, the second indented: %r" % xs)

    # A half-typed line wider than the narrowed window.
    tm.text("y" * 80)
    tap.ok(wait_for(lambda: "y" * 80 in tm.screen()), "a long half-typed line")
    tm("resize-window", "-t", "chat", "-x", "40")
    tap.ok(wait_for(lambda: [l for l in rows() if l.startswith("[lobby]")
                             and len(l) <= 40]), "the window narrows")
    tap.ok(wait_for(lambda: len([l for l in rows() if "yyyy" in l]) == 1),
           "the input line is redrawn once, with no stale part left: %r" %
           [l for l in rows() if "yyyy" in l])
    tm.keys("C-u")

    tm.typed("/quit gone home")
    tap.ok(bob.out.expect(r" departed lobby alice quit: gone home$")
           is not None, "/quit takes a reason, which the others see")
    bob.send("exit")
    bob.wait()
finally:
    if tm:
        tm.kill()
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
