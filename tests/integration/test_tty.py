"""The interactive client in a real terminal (tmux): an incoming message
does not garble the half-typed line, and escape sequences a peer sends are
made visible instead of reaching the terminal."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client, SECCHAT, wait_for  # noqa: E402

tap = Tap()
if shutil.which("tmux") is None:
    tap.skip("interactive client in tmux", "tmux is not installed")
    tap.done()

d = Daemon()
sock = None


def tmux(*args):
    return subprocess.run(["tmux", "-S", sock] + list(args),
                          capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-p", "-t", "chat").stdout


try:
    d.start()
    sock = os.path.join(d.dir, "tmux.sock")
    home = os.path.join(d.dir, "home-alice")
    os.makedirs(home)
    pw = os.path.join(home, "password")
    with open(pw, "w") as f:
        f.write("alice-pw\n")
    cmd = ("env XDG_CONFIG_HOME=%s HOME=%s ASAN_OPTIONS=detect_leaks=0 "
           "%s -p %d -u alice -P %s -o StrictHostKeyChecking=accept-new "
           "127.0.0.1" % (home, home, SECCHAT, d.port, pw))
    r = tmux("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "100",
             "-y", "30", cmd)
    tap.ok(r.returncode == 0, "tmux runs secchat in a terminal")
    tap.ok(wait_for(lambda: "[lobby]" in screen()),
           "the interactive client shows its prompt with the room")
    tmux("send-keys", "-t", "chat", "-l", "half a li")
    tap.ok(wait_for(lambda: "half a li" in screen()),
           "the half-typed line is on the screen")
    bob = Client(d, "bob", "bob-pw")
    bob.out.expect(r" login bob$")
    bob.send("message from bob")
    tap.ok(wait_for(lambda: "message from bob" in screen()),
           "bob's message appears")
    lines = [l.rstrip() for l in screen().splitlines() if l.strip()]
    tap.diag("screen:\n" + "\n".join(lines))
    msg_line = [i for i, l in enumerate(lines) if "message from bob" in l]
    tap.ok(lines and lines[-1].endswith("half a li") and
           "[lobby]" in lines[-1], "the half line is intact on the last line, "
           "after the prompt")
    tap.ok(msg_line and msg_line[0] < len(lines) - 1 and
           "half a li" not in lines[msg_line[0]],
           "the message is on its own line above the input")
    tmux("send-keys", "-t", "chat", "-l", "ne")
    tmux("send-keys", "-t", "chat", "Enter")
    tap.ok(bob.out.expect(r" message lobby alice half a line$") is not None,
           "finishing the line sends it whole")

    bob.send("before\x1b[2Jafter\x1b]0;owned\x07")
    tap.ok(wait_for(lambda: "after" in screen()),
           "the message with escape sequences arrives")
    s = screen()
    tap.diag("screen:\n" + s)
    tap.ok("message from bob" in s, "ESC[2J did not clear the screen")
    tap.ok(any("before" in l and "after" in l and "[2J" in l
               for l in s.splitlines()),
           "the escape sequence is shown as visible text")
    title = tmux("display-message", "-p", "-t", "chat", "#{pane_title}").stdout
    tap.ok("owned" not in title, "an OSC sequence did not set the title")
    tmux("send-keys", "-t", "chat", "-l", "exit")
    tmux("send-keys", "-t", "chat", "Enter")
    tap.ok(bob.out.expect(r" departed lobby alice quit$") is not None,
           "exit in the terminal leaves")
    bob.send("exit")
    bob.wait()
finally:
    if sock:
        tmux("kill-server")
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
