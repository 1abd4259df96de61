"""Pipe mode's input: a file with DOS line ends is sent as meant; a line
that cannot be sent is reported by what is wrong with it and makes the
exit status 8; blank lines are not sent; command names are case-blind."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Tap, Daemon, Client  # noqa: E402

tap = Tap()
d = Daemon()
try:
    d.start()
    bob = Client(d, "bob", "bob-pw")
    tap.ok(bob.out.expect(r" login bob$") is not None, "bob logs in")

    # Every line of a CRLF file.
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" names lobby ") is not None, "alice logs in")
    bob.out.expect(r" arrived lobby alice$")
    a.proc.stdin.write(b"first line\r\nsecond line\r\n/WHO\r\n")
    a.proc.stdin.flush()
    a.close_stdin()
    tap.ok(bob.out.expect(r" message lobby alice first line$") is not None
           and bob.out.expect(r" message lobby alice second line$")
           is not None, "CRLF lines arrive, without the CR")
    tap.ok(a.wait() == 0, "and the exit status is 0")
    tap.ok(len(a.out.seen(r" names lobby ")) == 2,
           "a command in capitals with CRLF works (/WHO)")
    tap.ok(not a.err.seen(r"not sent"), "nothing is reported unsent: %s" %
           a.err.all)

    # Lines that cannot be sent, and blank ones.
    a = Client(d, "alice", "alice-pw")
    tap.ok(a.out.expect(r" names lobby ") is not None, "alice again")
    bob.out.expect(r" arrived lobby alice$")
    a.proc.stdin.write(b"bad\rline\n   \t \n\n\xffoops\nlast good\n")
    a.proc.stdin.flush()
    a.close_stdin()
    tap.ok(bob.out.expect(r" message lobby alice last good$") is not None,
           "the good line arrives")
    rc = a.wait()
    tap.diag("\n".join(a.err.all))
    tap.ok(a.err.seen(r"input line 1 holds a carriage return \(CR\) at "
                      r"byte 4; not sent"),
           "a CR inside a line is named, with where it is")
    tap.ok(a.err.seen(r"input line 4 is not valid UTF-8 at byte 1; not "
                      r"sent"), "so is a byte that is not UTF-8")
    tap.ok(not a.err.seen(r"input line [23]"), "blank lines are no error")
    got = [l.split(" message lobby alice", 1)[1] for l in bob.out.all
           if " message lobby alice" in l]
    tap.ok(got == [" first line", " second line", " last good"],
           "neither blank nor bad lines were sent: %s" % got)
    tap.ok(rc == 8, "lines not sent make the exit status 8 (got %s)" % rc)
    tap.ok(a.err.seen(r"2 requests from standard input failed or were not "
                      r"sent"), "and a summary says how many")

    bob.send("exit")
    tap.ok(bob.wait() == 0, "bob leaves with status 0")
finally:
    d.cleanup()
    if tap.failed and d.log:
        tap.diag("\n".join(d.log.all))
tap.done()
