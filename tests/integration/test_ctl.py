"""The control socket and secchatctl against a running daemon: the socket
is made safely (mode 0600, a stale one replaced, anything else refused);
every command; another uid refused; malformed requests answered with an
error and nothing else affected; what only the broker knows shown as "-"
when it does not answer; a locked, removed or re-passworded account's
sessions end on reload; ControlSocket none."""

import os
import pwd
import signal
import socket
import stat
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Tap, Daemon, Client, RawClient, MSG, BUILDDIR,  # noqa
                     IS_ROOT, nobody_exists, wait_for)

CTL = os.path.join(BUILDDIR, "secchatctl")
T = dict(SHOW_SESSIONS=1, SHOW_ROOMS=2, SHOW_USERS=3, SHOW_STATS=4,
         KICK_USER=10, KICK_SESSION=11, NOTICE=12, RELOAD=13, LOG=14,
         ROW=100, OK=101, ERROR=102)

tap = Tap()
d = Daemon(users=(("alice", "alice-pw"), ("bob", "bob-pw"),
                  ("carol", "carol-pw"), ("dave", "dave-pw")))
sock = d.control_socket
clients = []


def ctl(*args):
    return subprocess.run([CTL, "-s", sock] + list(args),
                          capture_output=True, text=True, timeout=60)


def tsv(*args):
    r = ctl(*(list(args) + ["-o", "tsv"]))
    return r, [line.split("\t") for line in r.stdout.splitlines()]


def frame(type_, payload=b"", length=None, flags=0):
    n = len(payload) if length is None else length
    return struct.pack(">IHH", n, type_, flags) + payload


def wstr(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">H", len(s)) + s


def raw(data, path=None):
    """Send bytes, read every frame until the daemon closes:
    [(type, text)]."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path or sock)
    s.sendall(data)
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        buf += chunk
    s.close()
    out = []
    while len(buf) >= 8:
        n, t, _ = struct.unpack(">IHH", buf[:8])
        out.append((t, buf[8:8 + n].decode("utf-8", "replace")))
        buf = buf[8 + n:]
    return out


def login(user, pw):
    c = Client(d, user, pw)
    clients.append(c)
    if not c.out.expect(r" login %s$" % user):
        raise RuntimeError(user + " did not log in")
    return c


def valid_openmetrics(text):
    """The OpenMetrics text format as far as these counters use it."""
    lines = text.split("\n")
    if lines[-1] != "" or lines[-2] != "# EOF":
        return "no # EOF at the end"
    family = kind = None
    for line in lines[:-2]:
        p = line.split(" ")
        if line.startswith("# TYPE "):
            if len(p) != 4 or p[3] not in ("gauge", "counter", "unknown"):
                return "bad TYPE: " + line
            family, kind = p[2], p[3]
        elif line.startswith("# HELP "):
            if p[2] != family:
                return "HELP of another family: " + line
        else:
            want = family + "_total" if kind == "counter" else family
            if len(p) != 2 or p[0] != want:
                return "sample outside its family: " + line
            float(p[1])
    return None


try:
    # ------------------------------------------------------------ the socket
    with open(sock, "w") as f:
        f.write("not a socket\n")
    r = subprocess.run([d.secchatd, "-D", "-e", "-f", d.conf],
                       capture_output=True, text=True, timeout=60)
    tap.ok(r.returncode != 0 and "not a socket" in r.stderr and
           open(sock).read() == "not a socket\n",
           "a file that is not a socket at ControlSocket stops the start "
           "and is left alone")
    os.unlink(sock)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(sock)
    stale.close()           # bound, never listening: a stale socket
    d.start()
    st = os.lstat(sock)
    tap.ok(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
           and st.st_uid == os.geteuid(),
           "a stale socket is replaced; the new one is mode 0600, owned by "
           "the daemon's uid (%o, uid %d)" % (stat.S_IMODE(st.st_mode),
                                             st.st_uid))
    r = subprocess.run([d.secchatd, "-D", "-e", "-f", d.conf],
                       capture_output=True, text=True, timeout=60)
    tap.ok(r.returncode != 0 and "another process is listening" in r.stderr
           and stat.S_ISSOCK(os.lstat(sock).st_mode),
           "a second daemon does not take a live control socket")

    # ------------------------------------------------------------ show
    alice = login("alice", "alice-pw")
    bob = login("bob", "bob-pw")
    alice.send("/join ops")
    tap.ok(alice.out.expect(r" joined ops$") is not None, "alice joins ops")
    # A connection that has not logged in: its hello and the handshake's
    # first message, answered once the master has done the DH.
    pre = RawClient(d.port)
    pre.hello(suites=(2,))
    pre.send_frame(os.urandom(32))
    pre.recv_frame()

    r, rows = tsv("show", "sessions")
    by_user = {row[1]: row for row in rows}
    tap.ok(r.returncode == 0 and all(len(row) == 10 for row in rows) and
           len(rows) == 3, "show sessions -o tsv: one line of 10 fields "
           "per session, the one not logged in too")
    a = by_user.get("alice", [""] * 10)
    tap.ok(a[2] == "active" and a[3] == "127.0.0.1" and a[4].isdigit() and
           a[5].endswith("Z") and a[6].isdigit() and
           a[7] in ("aes256-gcm", "chacha20-poly1305") and
           a[8].startswith("SHA256:") and
           sorted(a[9].split(",")) == ["lobby", "ops"],
           "alice: state, address, port, since, idle, cipher, key, rooms "
           "(%s)" % "|".join(a))
    p = by_user.get("-", [""] * 10)
    tap.ok(p[2] == "preauth" and p[7] == "chacha20-poly1305" and
           p[6] == "-" and p[8] == "-" and p[9] == "-",
           "not logged in: the cipher it was given, no key, idle or rooms "
           "(%s)" % "|".join(p))
    r = ctl("show", "sessions")
    tap.ok(r.returncode == 0 and r.stdout.startswith("ID ") and
           "127.0.0.1:" in r.stdout and "alice" in r.stdout,
           "show sessions for people: headings, address:port")
    r, rows = tsv("show", "users")
    tap.ok(r.returncode == 0 and [row[0] for row in rows] ==
           ["alice", "bob"] and rows[0][1] == "1" and
           rows[0][4] == "lobby,ops" and rows[1][4] == "lobby",
           "show users: the users online, their sessions and rooms")
    r, rows = tsv("show", "rooms")
    tap.ok(r.returncode == 0 and rows == [["lobby", "2", "2", "alice,bob"],
                                           ["ops", "1", "1", "alice"]],
           "show rooms: each room, its users and sessions (%s)" % rows)

    bad = RawClient(d.port)
    try:
        bad.login("alice", "wrong")
    except Exception:
        pass
    bad.close()
    bob.send("hello alice")
    tap.ok(alice.out.expect(r" message lobby bob hello alice$") is not None,
           "alice hears bob")
    r, rows = tsv("show", "stats")
    stats = dict((row[0], row[1]) for row in rows if len(row) == 2)
    tap.ok(r.returncode == 0 and stats.get("logins_total") == "2" and
           stats.get("login_failures_total") == "1" and
           stats.get("sessions_logged_in") == "2" and
           stats.get("rooms") == "2" and
           int(stats.get("messages_total", "0")) >= 2 and
           int(stats.get("deliveries_total", "0")) >= 1 and
           "messages_per_second" in stats and
           "queue_drops_total" in stats and
           stats.get("broker_restarts_total") == "0",
           "show stats: logins, failures, sessions, rooms, messages, "
           "deliveries, rates, drops, restarts")
    r = ctl("show", "stats", "-o", "openmetrics")
    why = valid_openmetrics(r.stdout) if r.returncode == 0 else r.stderr
    tap.ok(why is None and "secchat_logins_total 2\n" in r.stdout,
           "show stats -o openmetrics is OpenMetrics text (%s)" % why)
    r = ctl("show", "rooms", "-o", "openmetrics")
    tap.ok(r.returncode == 2, "-o openmetrics is for show stats only")

    # ------------------------------------------------------------ broker away
    broker = d.role_pids("secchatd: broker")
    os.kill(broker[0], signal.SIGSTOP)
    try:
        r, rows = tsv("show", "sessions")
        a = [row for row in rows if row[1] == "alice"]
        tap.ok(r.returncode == 0 and a and a[0][6] == "-" and
               a[0][9] == "-" and a[0][7] != "-" and
               "broker did not answer" in r.stderr,
               "a stopped broker: what only it knows is -, with a note")
        r = ctl("show", "rooms")
        tap.ok(r.returncode == 1 and "broker did not answer" in r.stderr,
               "a stopped broker: show rooms says the rooms are unknown")
    finally:
        os.kill(broker[0], signal.SIGCONT)
    r, rows = tsv("show", "sessions")
    tap.ok(r.returncode == 0 and r.stderr == "" and
           any(row[1] == "alice" and row[9] != "-" for row in rows),
           "the broker answers again once it runs")

    # ------------------------------------------------------------ commands
    r = ctl("notice", "maintenance", "at", "noon")
    tap.ok(r.returncode == 0 and "2 sessions" in r.stdout,
           "notice: sent to the sessions logged in")
    tap.ok(alice.out.expect(r" notice maintenance at noon$") is not None and
           bob.out.expect(r" notice maintenance at noon$") is not None,
           "every user sees the notice")
    r = ctl("log", "verbose")
    tap.ok(r.returncode == 0 and "verbose" in r.stdout and
           d.log.expect(r"control: log level verbose") is not None,
           "log verbose")
    r = ctl("log", "brief")
    tap.ok(r.returncode == 0 and "brief" in r.stdout, "log brief")
    r, rows = tsv("show", "sessions")
    pre_id = [row[0] for row in rows if row[2] == "preauth"]
    r = ctl("kick", pre_id[0] if pre_id else "999999")
    tap.ok(r.returncode == 0 and pre.closed(), "kick SESSION ends a "
           "connection that has not logged in")
    carol = login("carol", "carol-pw")
    r = ctl("kick", "carol", "please", "stop")
    tap.ok(r.returncode == 0 and "ended 1 session of carol" in r.stdout,
           "kick USER answers what it ended")
    tap.ok(carol.out.expect(r" bye please stop$") is not None,
           "carol's client is told the reason")
    tap.ok(d.log.expect(r"Disconnected carol from .*: kicked: please "
                        r"stop$") is not None, "the log says why")
    r = ctl("kick", "carol")
    tap.ok(r.returncode == 1 and "no session of carol" in r.stderr,
           "kick of a user with no session is an error")
    r = ctl("kick", "4000000000")
    tap.ok(r.returncode == 1 and "no session" in r.stderr,
           "kick of an unknown session id is an error")
    r = ctl("kick", "Bad-Name")
    tap.ok(r.returncode == 2, "a bad user name is a usage error")

    # ------------------------------------------------------------ malformed
    master, broker = d.pid(), d.role_pids("secchatd: broker")
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(sock)      # holds one connection, says nothing
    cases = [
        ("flags set", frame(T["RELOAD"], flags=1)),
        ("an unknown request", frame(999)),
        ("a length past the longest request", frame(T["NOTICE"],
                                                   length=1 << 30)),
        ("a payload one byte long", frame(T["SHOW_STATS"], b"\0")),
        ("a payload one byte short", frame(T["LOG"], b"")),
        ("a bad user name", frame(T["KICK_USER"], wstr("Alice") +
                                  wstr("x"))),
        ("a reason with a newline", frame(T["KICK_USER"], wstr("alice") +
                                          wstr("a\nb"))),
        ("session id 0", frame(T["KICK_SESSION"], b"\0\0\0\0" + wstr(""))),
        ("log level 2", frame(T["LOG"], b"\2")),
        ("an empty notice", frame(T["NOTICE"], wstr(""))),
        ("a string past its payload", frame(T["NOTICE"], b"\0\xff" + b"x")),
        ("bytes that are no request", b"\xde\xad\xbe\xef" * 16),
    ]
    for what, data in cases:
        out = raw(data)
        tap.ok(len(out) == 1 and out[0][0] == T["ERROR"] and
               "malformed request" in out[0][1],
               "%s: one ERROR, then the connection is closed (%s)" %
               (what, out))
    out = raw(frame(T["SHOW_STATS"]) + b"trailing garbage")
    tap.ok(out and out[-1][0] == T["OK"] and
           all(t == T["ROW"] for t, _ in out[:-1]),
           "bytes after a request are not read as another")
    bob.send("still here")
    tap.ok(alice.out.expect(r" message lobby bob still here$") is not None,
           "the users went on chatting meanwhile")
    r = ctl("show", "users")
    tap.ok(r.returncode == 0 and "alice" in r.stdout,
           "a good request is answered while another connection is held")
    idle.close()
    tap.ok(d.proc.poll() is None and d.pid() == master and
           d.role_pids("secchatd: broker") == broker and
           not d.log.seen(r"killing|fatal"),
           "the master, the broker and every session are unaffected")

    # ------------------------------------------------------------ other uids
    def probe_as_nobody(path):
        """In a child that became nobody: connect, ask, and say what came
        back ("EACCES", or "TYPE TEXT WHOLE")."""
        pw = pwd.getpwnam("nobody")
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            text = "child failed"
            try:
                os.setgroups([])
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(20)
                try:
                    s.connect(path)
                except PermissionError:
                    text = "EACCES"
                else:
                    try:
                        s.sendall(frame(T["SHOW_STATS"]))
                    except OSError:
                        pass    # refused at once: the answer is there
                    data = b""
                    while True:
                        try:
                            chunk = s.recv(4096)
                        except (ConnectionResetError, socket.timeout):
                            break
                        if not chunk:
                            break
                        data += chunk
                    n, t, _ = struct.unpack(">IHH", data[:8])
                    text = "%d %s %s" % (t, data[8:8 + n].decode(),
                                         len(data) == 8 + n)
            finally:
                os.write(wfd, text.encode())
                os._exit(0)
        os.close(wfd)
        out = b""
        while True:
            chunk = os.read(rfd, 4096)
            if not chunk:
                break
            out += chunk
        os.close(rfd)
        os.waitpid(pid, 0)
        return out.decode()

    if not IS_ROOT or not nobody_exists():
        tap.skip("another uid is refused", "needs root and user nobody")
        tap.skip("another uid is refused by SO_PEERCRED",
                 "needs root and user nobody")
    else:
        out = probe_as_nobody(sock)
        tap.ok(out == "EACCES",
               "nobody cannot connect: the socket is 0600 (%s)" % out)
        os.chmod(sock, 0o666)   # as if someone loosened it
        out = probe_as_nobody(sock)
        os.chmod(sock, 0o600)
        tap.ok(out.startswith("%d permission denied" % T["ERROR"]) and
               out.endswith("True") and
               d.log.expect(r"control socket: refused uid \d+") is not None,
               "even through a loosened socket, nobody is refused by its "
               "credentials, with one ERROR and nothing else (%s)" % out)

    # ------------------------------------------------------------ accounts
    dave = login("dave", "dave-pw")
    subprocess.run([d.passwd, "-f", d.users, "lock", "alice"], check=True)
    d.signal(signal.SIGHUP)
    tap.ok(alice.out.expect(r" bye account locked$") is not None,
           "SIGHUP after lock: alice's session ends, \"account locked\"")
    tap.ok(d.log.expect(r"Disconnected alice from .*: account locked$")
           is not None, "the log says why")
    subprocess.run([d.passwd, "-f", d.users, "del", "dave"], check=True)
    r = ctl("reload")
    tap.ok(r.returncode == 0 and "users file: 3 users" in r.stdout and
           "ended 1 session" in r.stdout and
           "reload complete" in r.stdout,
           "secchatctl reload answers once done (%s)" %
           "; ".join(r.stdout.splitlines()))
    tap.ok(dave.out.expect(r" bye account removed$") is not None,
           "dave's session ends, \"account removed\"")
    bob2 = login("bob", "bob-pw")
    r = subprocess.run([d.passwd, "-f", d.users, "-s", "-r", "1000", "-a",
                        "pbkdf2-sha256", "-S", sock, "passwd", "-k", "bob"],
                       input="bob-new-pw\n", capture_output=True, text=True,
                       timeout=60)
    tap.ok(r.returncode == 0 and "ended 2 sessions of bob" in r.stdout,
           "secchat-passwd passwd -k: reload, then bob's sessions end "
           "(%s)" % "; ".join((r.stdout + r.stderr).splitlines()))
    tap.ok(bob.out.expect(r" bye password changed$") is not None and
           bob2.out.expect(r" bye password changed$") is not None,
           "both of bob's sessions are told \"password changed\"")
    bob3 = Client(d, "bob", "bob-new-pw")
    clients.append(bob3)
    tap.ok(bob3.out.expect(r" login bob$") is not None,
           "bob logs in with the new password")
    r, rows = tsv("show", "stats")
    stats = dict((row[0], row[1]) for row in rows if len(row) == 2)
    tap.ok(stats.get("sessions_ended_by_reload_total") == "2" and
           stats.get("sessions_kicked_total") == "4",
           "the counters of ended sessions (%s, %s)" %
           (stats.get("sessions_ended_by_reload_total"),
            stats.get("sessions_kicked_total")))

    d.stop()
    tap.ok(not os.path.exists(sock), "the socket is removed at exit")
finally:
    for c in clients:
        c.kill()
    d.cleanup()
    if tap.failed:
        tap.diag("\n".join(d.log.all if d.log else []))

# ControlSocket none: no socket, and secchatctl says it cannot connect.
d2 = Daemon()
sock2 = d2.control_socket
d2.control_socket = "none"
d2.write_conf()
try:
    d2.start()
    r = subprocess.run([CTL, "-s", sock2, "show", "stats"],
                       capture_output=True, text=True, timeout=60)
    tap.ok(not os.path.exists(sock2) and r.returncode == 3,
           "ControlSocket none: no socket; secchatctl exits 3")
finally:
    d2.cleanup()
tap.done()
