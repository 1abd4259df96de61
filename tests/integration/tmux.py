"""The interactive client in a real terminal: a tmux server of the test's
own (its socket in the daemon's directory), secchat run in its sessions,
keys typed and pasted into them and their screens read back."""

import os
import shutil
import subprocess

from harness import SECCHAT


def skip_without_tmux(tap, what):
    """Without tmux there is no terminal to test in: the whole test is
    skipped, saying so."""
    if shutil.which("tmux") is None:
        tap.skip(what, "tmux is not installed")
        tap.done()


def client_home(d, name, password="alice-pw"):
    """A fresh home for one client and its password file; returns (home,
    password file)."""
    home = os.path.join(d.dir, "home-" + name)
    os.makedirs(home)
    pw = os.path.join(home, "password")
    with open(pw, "w") as f:
        f.write(password + "\n")
    return home, pw


def client_command(d, home, pw, env="", opts="", user="alice"):
    """The shell command running secchat as user against d; env goes to
    env(1) before the home variables, opts before secchat's own."""
    return ("env %sXDG_CONFIG_HOME=%s HOME=%s ASAN_OPTIONS=detect_leaks=0 "
            "%s %s-p %d -u %s -P %s -o StrictHostKeyChecking=accept-new "
            "127.0.0.1" % (env + " " if env else "", home, home, SECCHAT,
                           opts + " " if opts else "", d.port, user, pw))


class Tmux:
    """One tmux server; session "chat" unless told otherwise."""

    def __init__(self, d):
        self.sock = os.path.join(d.dir, "tmux.sock")

    def __call__(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args),
                              capture_output=True, text=True)

    def new_session(self, name, width, height, *cmd):
        """A detached session running cmd; the first one also starts the
        server, without reading any tmux configuration."""
        first = self("has-session").returncode != 0
        return self(*(["-f", "/dev/null"] if first else []), "new-session",
                    "-d", "-s", name, "-x", str(width), "-y", str(height),
                    *cmd)

    def screen(self, s="chat", start=None):
        """The visible pane, or from line start of its history on."""
        more = ["-S", start] if start is not None else []
        return self("capture-pane", "-p", "-t", s, *more).stdout

    def rows(self, s="chat"):
        """The pane's non-blank lines, trailing blanks cut."""
        return [l.rstrip() for l in self.screen(s).splitlines() if l.strip()]

    def last_row(self, s="chat"):
        r = self.rows(s)
        return r[-1] if r else ""

    def keys(self, *k, s="chat"):
        self("send-keys", "-t", s, *k)

    def text(self, t, s="chat"):
        self("send-keys", "-t", s, "-l", t)

    def typed(self, t, s="chat"):
        self.text(t, s)
        self.keys("Enter", s=s)

    def paste(self, t, s="chat"):
        """t as a terminal paste (bracketed if the application asks)."""
        self("set-buffer", "-b", "p", t)
        self("paste-buffer", "-p", "-b", "p", "-t", s)

    def title(self, s="chat"):
        return self("display-message", "-p", "-t", s, "#{pane_title}").stdout

    def kill(self):
        self("kill-server")
