"""The interactive client's line editor in a real terminal (tmux): history
recall with Up and Down keeping the half-typed line, the ^R search, Tab
completion of commands, user names and room names, word-wise movement and
deletion, and bracketed paste: one pasted line is inserted, several ask
"send N lines? (y/n)", a pasted tab is kept, and escape sequences in a
paste never reach the screen.  On exit the terminal is left without
bracketed paste."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, wait_for  # noqa: E402
from tmux import (Tmux, client_command, client_home,  # noqa: E402
                  skip_without_tmux)

tap = Tap()
skip_without_tmux(tap, "line editing in tmux")

d = Daemon()
tm = None


def input_is(s):
    """The input line, after the prompt, is s (cursor aside)."""
    return wait_for(lambda: tm.last_row() == ("[lobby] " + s).rstrip())


try:
    d.start()
    tm = Tmux(d)
    home, pw = client_home(d, "alice")
    # After secchat, cat -v shows what the terminal then sends verbatim.
    cmd = (client_command(d, home, pw) +
           "; echo secchat-ended; exec cat -v")
    r = tm.new_session("chat", 100, 30, "sh", "-c", cmd)
    tap.ok(r.returncode == 0, "tmux runs secchat in a terminal")
    tap.ok(wait_for(lambda: "[lobby]" in tm.screen()), "the prompt is shown")

    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("hello from bob")
    tap.ok(wait_for(lambda: "hello from bob" in tm.screen()),
           "bob's message arrives")

    # History.
    tm.text("first line")
    tm.keys("Enter")
    bob.out.expect(r" message lobby alice first line$")
    tm.text("second line")
    tm.keys("Enter")
    bob.out.expect(r" message lobby alice second line$")
    tm.text("half typed")
    tm.keys("Up")
    tap.ok(input_is("second line"), "Up recalls the last line sent")
    tm.keys("Up")
    tap.ok(input_is("first line"), "Up again the one before")
    bob.send("while recalling")
    tap.ok(wait_for(lambda: "while recalling" in tm.screen()) and
           input_is("first line"), "a message leaves the recalled line "
           "intact: %r" % tm.last_row())
    tm.keys("Down")
    tm.keys("Down")
    tap.ok(input_is("half typed"), "Down twice: the half-typed line is back")
    tm.keys("C-u")

    # ^R search.
    tm.keys("C-r")
    tm.text("fir")
    tap.ok(wait_for(lambda: "(search)'fir': first line" in tm.last_row()),
           "^R shows the match as the query is typed: %r" % tm.last_row())
    tm.keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice first line$") is not None,
           "Enter sends the line found")
    tm.keys("C-r")
    tm.text("nothing like it")
    tap.ok(wait_for(lambda: "failed search" in tm.last_row()),
           "a query that matches nothing says so")
    tm.keys("C-g")
    tap.ok(input_is(""), "^G leaves the search with the line as it was")

    # Completion.
    tm.text("/jo")
    tm.keys("Tab")
    tap.ok(input_is("/join"), "Tab completes a command: %r" % tm.last_row())
    tm.text("lo")
    tm.keys("Tab")
    tap.ok(input_is("/join lobby"), "and a room name: %r" % tm.last_row())
    tm.keys("C-u")
    tm.text("bo")
    tm.keys("Tab")
    tap.ok(input_is("bob:"), "a user name at the start of a line, with "
           "a colon: %r" % tm.last_row())
    tm.text("hi")
    tm.keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice bob: hi$") is not None,
           "the completed line is sent")
    tm.keys("C-u")
    tm.text("/msg b")
    tm.keys("Tab")
    tm.text("psst")
    tm.keys("Enter")
    tap.ok(bob.out.expect(r" private-e2e alice unverified psst$")
           is not None, "a user name after /msg (sent end to end)")

    # Word-wise movement and deletion.
    tm.text("one two three")
    tm.keys("M-b")
    tm.text("X")
    tap.ok(input_is("one two Xthree"), "Alt-b: %r" % tm.last_row())
    tm.keys("C-Left")
    tm.keys("C-Left")
    tm.text("Y")
    tap.ok(input_is("one Ytwo Xthree"), "Ctrl-Left: %r" % tm.last_row())
    tm.keys("C-a")
    tm.keys("M-f")
    tm.text("Z")
    tap.ok(input_is("oneZ Ytwo Xthree"), "Alt-f: %r" % tm.last_row())
    tm.keys("C-Right")
    tm.keys("M-d")
    tap.ok(input_is("oneZ Ytwo"), "Ctrl-Right, Alt-d: %r" % tm.last_row())
    tm.keys("M-BSpace")
    tap.ok(input_is("oneZ"), "Alt-Backspace: %r" % tm.last_row())
    tm.keys("C-u")

    # Bracketed paste.
    tm.paste("pasted\twith a tab")
    tap.ok(input_is("pasted  with a tab"),
           "one pasted line is inserted, its tab kept: %r" % tm.last_row())
    tm.keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice pasted  with a tab$")
           is not None, "and sent only with Enter")
    tm.paste("line one\nline two\nline three\n")
    tap.ok(wait_for(lambda: "send 3 lines? (y/n)" in tm.last_row()),
           "three pasted lines: asked first: %r" % tm.last_row())
    bob.send("during the question")
    tap.ok(wait_for(lambda: "during the question" in tm.screen()) and
           wait_for(lambda: "send 3 lines? (y/n)" in tm.last_row()),
           "a message leaves the question on the input line")
    tm.text("y")
    got = [bob.out.expect(r" message lobby alice (line \w+)$")
           for _ in range(3)]
    tap.ok([m.group(1) if m else None for m in got] ==
           ["line one", "line two", "line three"], "y sends them in order")
    tm.paste("keep\nthis")
    tap.ok(wait_for(lambda: "send 2 lines? (y/n)" in tm.last_row()),
           "two pasted lines: asked")
    tm.text("n")
    tap.ok(input_is("keep this"), "n puts them on the input line, "
           "joined: %r" % tm.last_row())
    tap.ok(wait_for(lambda: "were not sent" in tm.screen()), "and says so")
    tm.keys("C-u")
    tm.paste("a\x1b[2Jb\x1b]0;owned\x07c")
    tap.ok(wait_for(lambda: tm.last_row().startswith("[lobby] a")),
           "a paste with escape sequences arrives")
    s = tm.screen()
    title = tm.title()
    tap.ok("hello from bob" in s and "owned" not in title,
           "its escape sequences did not reach the terminal: %r" %
           tm.last_row())
    tm.keys("C-u")

    tm.text("/quit")
    tm.keys("Enter")
    tap.ok(wait_for(lambda: "secchat-ended" in tm.screen()), "secchat ends")
    tm.paste("after")
    tap.ok(wait_for(lambda: "after" in tm.screen().split("secchat-ended")[-1]),
           "a paste after it ends arrives")
    tap.ok("[200~" not in tm.screen().split("secchat-ended")[-1],
           "without bracketed paste markers: the mode was turned off")
    bob.send("exit")
    bob.wait()
finally:
    if tm:
        tm.kill()
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
