#!/usr/bin/env python3
"""irc-relay.py: the least of an IRC server that secchat-bench's irc mode
needs, for tests/bench-irc.sh: registration (001), JOIN (366), PRIVMSG to
a channel relayed to its other members with the sender's prefix, PING,
QUIT.  Not a server for anything else.

usage: irc-relay.py PORTFILE [CERT KEY]   (with CERT and KEY: TLS)
Listens on 127.0.0.1 and a port the kernel picks, which it writes to
PORTFILE once it is listening.
"""

import asyncio
import ssl
import sys

channels = {}


async def client(reader, writer):
    nick = None
    joined = set()
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            cmd, _, rest = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "NICK":
                nick = rest.strip()
            elif cmd == "USER" and nick:
                writer.write((":relay 001 %s :Welcome\r\n" % nick).encode())
            elif cmd == "JOIN" and nick:
                chan = rest.strip().lower()
                channels.setdefault(chan, set()).add(writer)
                joined.add(chan)
                writer.write((":relay 366 %s %s :End of NAMES list\r\n" %
                              (nick, chan)).encode())
            elif cmd == "PRIVMSG" and nick:
                chan, _, text = rest.partition(" ")
                out = (":%s!b@127.0.0.1 PRIVMSG %s %s\r\n" %
                       (nick, chan, text)).encode()
                for w in channels.get(chan.lower(), ()):
                    if w is not writer:
                        w.write(out)
            elif cmd == "PING":
                writer.write(("PONG %s\r\n" % rest).encode())
            elif cmd == "QUIT":
                writer.write(b"ERROR :Closing link\r\n")
                break
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        for chan in joined:
            channels[chan].discard(writer)
        writer.close()


async def main():
    ctx = None
    if len(sys.argv) == 4:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    server = await asyncio.start_server(client, "127.0.0.1", 0, ssl=ctx)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    async with server:
        await server.serve_forever()


asyncio.run(main())
