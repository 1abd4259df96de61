"""The interactive client's line editor in a real terminal (tmux): history
recall with Up and Down keeping the half-typed line, the ^R search, Tab
completion of commands, user names and room names, word-wise movement and
deletion, and bracketed paste: one pasted line is inserted, several ask
"send N lines? (y/n)", a pasted tab is kept, and escape sequences in a
paste never reach the screen.  On exit the terminal is left without
bracketed paste."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, SECCHAT, wait_for  # noqa: E402

tap = Tap()
if shutil.which("tmux") is None:
    tap.skip("line editing in tmux", "tmux is not installed")
    tap.done()

d = Daemon()
sock = None


def tmux(*args):
    return subprocess.run(["tmux", "-S", sock] + list(args),
                          capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-p", "-t", "chat").stdout


def rows():
    return [l.rstrip() for l in screen().splitlines() if l.strip()]


def last_row():
    r = rows()
    return r[-1] if r else ""


def keys(*k):
    tmux("send-keys", "-t", "chat", *k)


def text(s):
    tmux("send-keys", "-t", "chat", "-l", s)


def paste(s):
    tmux("set-buffer", "-b", "p", s)
    tmux("paste-buffer", "-p", "-b", "p", "-t", "chat")


def input_is(s):
    """The input line, after the prompt, is s (cursor aside)."""
    return wait_for(lambda: last_row() == ("[lobby] " + s).rstrip())


try:
    d.start()
    sock = os.path.join(d.dir, "tmux.sock")
    home = os.path.join(d.dir, "home-alice")
    os.makedirs(home)
    pw = os.path.join(home, "password")
    with open(pw, "w") as f:
        f.write("alice-pw\n")
    # After secchat, cat -v shows what the terminal then sends verbatim.
    cmd = ("env XDG_CONFIG_HOME=%s HOME=%s ASAN_OPTIONS=detect_leaks=0 "
           "%s -p %d -u alice -P %s -o StrictHostKeyChecking=accept-new "
           "127.0.0.1; echo secchat-ended; exec cat -v"
           % (home, home, SECCHAT, d.port, pw))
    r = tmux("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "100",
             "-y", "30", "sh", "-c", cmd)
    tap.ok(r.returncode == 0, "tmux runs secchat in a terminal")
    tap.ok(wait_for(lambda: "[lobby]" in screen()), "the prompt is shown")

    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("hello from bob")
    tap.ok(wait_for(lambda: "hello from bob" in screen()),
           "bob's message arrives")

    # History.
    text("first line")
    keys("Enter")
    bob.out.expect(r" message lobby alice first line$")
    text("second line")
    keys("Enter")
    bob.out.expect(r" message lobby alice second line$")
    text("half typed")
    keys("Up")
    tap.ok(input_is("second line"), "Up recalls the last line sent")
    keys("Up")
    tap.ok(input_is("first line"), "Up again the one before")
    bob.send("while recalling")
    tap.ok(wait_for(lambda: "while recalling" in screen()) and
           input_is("first line"), "a message leaves the recalled line "
           "intact: %r" % last_row())
    keys("Down")
    keys("Down")
    tap.ok(input_is("half typed"), "Down twice: the half-typed line is back")
    keys("C-u")

    # ^R search.
    keys("C-r")
    text("fir")
    tap.ok(wait_for(lambda: "(search)'fir': first line" in last_row()),
           "^R shows the match as the query is typed: %r" % last_row())
    keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice first line$") is not None,
           "Enter sends the line found")
    keys("C-r")
    text("nothing like it")
    tap.ok(wait_for(lambda: "failed search" in last_row()),
           "a query that matches nothing says so")
    keys("C-g")
    tap.ok(input_is(""), "^G leaves the search with the line as it was")

    # Completion.
    text("/jo")
    keys("Tab")
    tap.ok(input_is("/join"), "Tab completes a command: %r" % last_row())
    text("lo")
    keys("Tab")
    tap.ok(input_is("/join lobby"), "and a room name: %r" % last_row())
    keys("C-u")
    text("bo")
    keys("Tab")
    tap.ok(input_is("bob:"), "a user name at the start of a line, with "
           "a colon: %r" % last_row())
    text("hi")
    keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice bob: hi$") is not None,
           "the completed line is sent")
    keys("C-u")
    text("/msg b")
    keys("Tab")
    text("psst")
    keys("Enter")
    tap.ok(bob.out.expect(r" private-e2e alice unverified psst$")
           is not None, "a user name after /msg (sent end to end)")

    # Word-wise movement and deletion.
    text("one two three")
    keys("M-b")
    text("X")
    tap.ok(input_is("one two Xthree"), "Alt-b: %r" % last_row())
    keys("C-Left")
    keys("C-Left")
    text("Y")
    tap.ok(input_is("one Ytwo Xthree"), "Ctrl-Left: %r" % last_row())
    keys("C-a")
    keys("M-f")
    text("Z")
    tap.ok(input_is("oneZ Ytwo Xthree"), "Alt-f: %r" % last_row())
    keys("C-Right")
    keys("M-d")
    tap.ok(input_is("oneZ Ytwo"), "Ctrl-Right, Alt-d: %r" % last_row())
    keys("M-BSpace")
    tap.ok(input_is("oneZ"), "Alt-Backspace: %r" % last_row())
    keys("C-u")

    # Bracketed paste.
    paste("pasted\twith a tab")
    tap.ok(input_is("pasted  with a tab"),
           "one pasted line is inserted, its tab kept: %r" % last_row())
    keys("Enter")
    tap.ok(bob.out.expect(r" message lobby alice pasted  with a tab$")
           is not None, "and sent only with Enter")
    paste("line one\nline two\nline three\n")
    tap.ok(wait_for(lambda: "send 3 lines? (y/n)" in last_row()),
           "three pasted lines: asked first: %r" % last_row())
    bob.send("during the question")
    tap.ok(wait_for(lambda: "during the question" in screen()) and
           wait_for(lambda: "send 3 lines? (y/n)" in last_row()),
           "a message leaves the question on the input line")
    text("y")
    got = [bob.out.expect(r" message lobby alice (line \w+)$")
           for _ in range(3)]
    tap.ok([m.group(1) if m else None for m in got] ==
           ["line one", "line two", "line three"], "y sends them in order")
    paste("keep\nthis")
    tap.ok(wait_for(lambda: "send 2 lines? (y/n)" in last_row()),
           "two pasted lines: asked")
    text("n")
    tap.ok(input_is("keep this"), "n puts them on the input line, "
           "joined: %r" % last_row())
    tap.ok(wait_for(lambda: "were not sent" in screen()), "and says so")
    keys("C-u")
    paste("a\x1b[2Jb\x1b]0;owned\x07c")
    tap.ok(wait_for(lambda: last_row().startswith("[lobby] a")),
           "a paste with escape sequences arrives")
    s = screen()
    title = tmux("display-message", "-p", "-t", "chat", "#{pane_title}").stdout
    tap.ok("hello from bob" in s and "owned" not in title,
           "its escape sequences did not reach the terminal: %r" % last_row())
    keys("C-u")

    text("/quit")
    keys("Enter")
    tap.ok(wait_for(lambda: "secchat-ended" in screen()), "secchat ends")
    paste("after")
    tap.ok(wait_for(lambda: "after" in screen().split("secchat-ended")[-1]),
           "a paste after it ends arrives")
    tap.ok("[200~" not in screen().split("secchat-ended")[-1],
           "without bracketed paste markers: the mode was turned off")
    bob.send("exit")
    bob.wait()
finally:
    if sock:
        tmux("kill-server")
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
