"""README.md's claims that other files can contradict: its Status against
the table of targets in doc/benchmarks.md, and "Running as a service"
against the daemon's default ListenAddress."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "integration"))
from harness import Tap, SRCDIR, SECCHATD  # noqa: E402

tap = Tap()
NUMBERS = {w: i for i, w in enumerate(
    "no one two three four five six seven eight nine ten eleven "
    "twelve".split())}


def section(text, title):
    """The body of the markdown section whose heading starts with title."""
    m = re.search(r"^#+ %s.*?\n(.*?)(?=^#+ |\Z)" % re.escape(title), text,
                  re.M | re.S)
    return m.group(1) if m else ""


def number(word):
    return int(word) if word.isdigit() else NUMBERS.get(word.lower())


with open(os.path.join(SRCDIR, "README.md")) as f:
    readme = f.read()
with open(os.path.join(SRCDIR, "doc", "benchmarks.md")) as f:
    benchmarks = f.read()

# The targets: a table whose last column is **met** or something else.
rows = [line for line in section(benchmarks, "5. Targets").splitlines()
        if line.startswith("|") and not re.match(r"^\|[\s|-]*$", line)][1:]
verdicts = [line.rstrip(" |").rsplit("|", 1)[-1].strip() for line in rows]
missed = [v for v in verdicts if v != "**met**"]
tap.ok(len(rows) > 0, "doc/benchmarks.md lists %d targets, %d missed" %
       (len(rows), len(missed)))

# One sentence in the Status section says how many are met or missed.
status = " ".join(section(readme, "Status").split())
claim_all = re.search(r"meets all (?:(\w+) )?of its targets", status)
claim_missed = re.search(r"(\w+) of its targets .*?(?:are|is) not met",
                         status)
if not missed:
    tap.ok(claim_all and not claim_missed and
           (claim_all.group(1) is None or
            number(claim_all.group(1)) == len(rows)),
           "README's Status says every target is met, as the benchmarks "
           "do: %s" % (claim_all.group(0) if claim_all else
                       claim_missed.group(0) if claim_missed else "no claim"))
else:
    tap.ok(claim_missed and not claim_all and
           number(claim_missed.group(1)) == len(missed),
           "README's Status says %d targets are missed, as the benchmarks "
           "do: %s" % (len(missed), claim_missed.group(0) if claim_missed
                       else claim_all.group(0) if claim_all else "no claim"))

# The daemon's default addresses, as it reports them with no settings.
with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
    r = subprocess.run([SECCHATD, "-T", "-f", conf.name],
                       capture_output=True, text=True)
defaults = [m.group(1) or m.group(2) for m in re.finditer(
    r"^listenaddress (?:\[([^]]+)\]|([^:\s]+)):\d+$", r.stdout, re.M)]
port = re.search(r"^port (\d+)$", r.stdout, re.M)
service = section(readme, "Running as a service")
tap.ok(defaults and all(a in service for a in defaults) and
       port and ("port " + port.group(1)) in service,
       "README's Running as a service names the default addresses "
       "(%s) and port" % ", ".join(defaults))
changed = re.findall(r"^ {4}ListenAddress (\S+)$", service, re.M)
tap.ok(changed and not set(changed) & set(defaults),
       "...and shows the ListenAddress lines that make it reachable (%s)" %
       ", ".join(changed))
tap.done()
