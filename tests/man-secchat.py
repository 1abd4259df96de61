"""secchat(1) documents every command of the client's one command table
(and each alias), every keyword the options table takes (-o and the
configuration file), every pipe-mode line type the client writes, and
every option letter getopt takes."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "integration"))
from harness import Tap, SRCDIR  # noqa: E402

tap = Tap()


def read(*path):
    with open(os.path.join(SRCDIR, *path), encoding="utf-8") as f:
        return f.read()


man = read("man", "secchat.1")
commands = read("src", "secchat", "commands.c")
options = read("src", "secchat", "options.c")

rows = re.findall(r'^\t\{ "([a-z]+)", \{ ([^}]*)\}', commands, re.M)
tap.ok(len(rows) >= 10, "the command table is found (%d rows)" % len(rows))
for name, aliases in rows:
    for n in [name] + re.findall(r'"([a-z]+)"', aliases):
        tap.ok(re.search(r"/%s\b" % n, man) is not None,
               "/%s is in secchat(1)" % n)

kws = re.findall(r'^\t\{ "([A-Za-z]+)",\s+OPT_KW_', options, re.M)
tap.ok(len(kws) >= 10, "the keyword table is found (%d rows)" % len(kws))
for k in kws:
    tap.ok(re.search(r"\bCm %s\b" % k, man) is not None,
           "keyword %s is in secchat(1)" % k)

m = re.search(r'getopt\(argc, argv, "([^"]+)"\)', options)
tap.ok(m is not None, "the option letters are found")
for letter in re.findall(r"[A-Za-z0-9]", m.group(1) if m else ""):
    if letter == "h":
        continue
    tap.ok(re.search(r"\bFl %s\b" % letter, man) is not None,
           "-%s is in secchat(1)" % letter)

# Pipe-mode line types: the words the client writes after the time.
kinds = set()
for f in ("output.c", "events.c"):
    src = read("src", "secchat", f)
    kinds |= set(re.findall(r'"(?:%s )? ?([a-z][a-z0-9-]+)(?: %[a-z]| ?")',
                            src))
pipe_types = ["login", "message", "action", "private", "history",
              "history-action", "joined", "parted", "arrived", "departed",
              "names", "rooms", "notice", "error", "auth-failed", "bye",
              "private-e2e", "private-e2e-action", "private-e2e-sent",
              "key-new", "key-changed", "e2e-failed", "safety-number",
              "away", "back", "away-names", "whois", "whois-key"]
for t in pipe_types:
    tap.ok(re.search(r"\b(Cm|Li|Ql) %s\b" % re.escape(t), man) is not None,
           "pipe line type %s is in secchat(1)" % t)
tap.done()
