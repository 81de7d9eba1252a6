#!/usr/bin/env python3
"""A small FBP client of the scripted run, standard library only.

It reads server.info (IP:PORT) and backup.info (file names, one per line) from the current
folder, picks a random user id, then: LIST; BACKUP file 1; BACKUP file 2; LIST; RESTORE file 1
(saved as tmp); DELETE file 1; RESTORE file 1 again. It prints each response.

What makes it pass `conform client -strict`: every response is read to exactly the length its
status gives, never until the close nor in one recv; a restored payload streams into a
temporary file that becomes tmp only once every byte has arrived, and the name in the
response is never used for a path; every read has a timeout; names from the server are
printed escaped.

    python3 client.py [TIMEOUT_SECONDS]
"""
import os
import secrets
import socket
import struct
import sys
import tempfile

VERSION = 1
BACKUP, RESTORE, DELETE, LIST = 100, 200, 201, 202
MAX_LISTING = 16 << 20  # a listing larger than this is refused
CHUNK = 64 << 10


class ProtocolError(Exception):
    pass


def shown(name: bytes) -> str:
    """A name from the server as it may reach a terminal: printable ASCII, the rest escaped."""
    text = "".join(chr(b) if 32 <= b < 127 and b != 0x5C else "\\x%02x" % b for b in name[:80])
    return text + ("..." if len(name) > 80 else "")


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), CHUNK))
        if not chunk:
            raise ProtocolError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def send_file(sock: socket.socket, f, size: int, path: str) -> None:
    """Sends size bytes of f in chunks, never the whole file held in memory."""
    left = size
    while left > 0:
        chunk = f.read(min(left, CHUNK))
        if not chunk:
            raise ProtocolError("%s shrank while it was sent" % path)
        sock.sendall(chunk)
        left -= len(chunk)


def read_header(sock: socket.socket):
    """Reads a response up to its payload: (status, name, size); name and size may be None."""
    _version, status = struct.unpack("<BH", recv_exact(sock, 3))
    name = size = None
    if status in (210, 211, 212, 1001):
        (length,) = struct.unpack("<H", recv_exact(sock, 2))
        name = recv_exact(sock, length)
    elif status not in (1002, 1003):
        raise ProtocolError("status %d, which the protocol does not define" % status)
    if status in (210, 211):
        (size,) = struct.unpack("<I", recv_exact(sock, 4))
    return status, name, size


class Client:
    def __init__(self, host: str, port: int, timeout: float):
        self.addr = (host, port)
        self.timeout = timeout
        self.user = secrets.randbits(32)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.addr, timeout=self.timeout)
        sock.settimeout(self.timeout)
        return sock

    def prefix(self, op: int) -> bytes:
        return struct.pack("<IBB", self.user, VERSION, op)

    def named(self, op: int, name: bytes) -> bytes:
        return self.prefix(op) + struct.pack("<H", len(name)) + name

    def list(self) -> str:
        with self.connect() as sock:
            sock.sendall(self.prefix(LIST))
            status, _, size = read_header(sock)
            if status == 1002:
                return "LIST: no files (1002)"
            if status != 211:
                raise ProtocolError("LIST answered %d" % status)
            if size > MAX_LISTING:
                raise ProtocolError("a listing of %d bytes, over %d" % (size, MAX_LISTING))
            listing = recv_exact(sock, size)
        names = [n.rstrip(b"\r") for n in listing.split(b"\n") if n.rstrip(b"\r")]
        return "LIST: %d files (211)" % len(names) + "".join("\n  " + shown(n) for n in names)

    def backup(self, path: str) -> str:
        name = os.path.basename(path).encode("ascii")
        size = os.path.getsize(path)
        with self.connect() as sock, open(path, "rb") as f:
            sock.sendall(self.named(BACKUP, name) + struct.pack("<I", size))
            send_file(sock, f, size, path)
            status, got, _ = read_header(sock)
        if status != 212:
            raise ProtocolError("BACKUP answered %d" % status)
        if got != name:
            raise ProtocolError("the answer names %s" % shown(got))
        return "BACKUP %s: ok (212), %d bytes stored" % (shown(name), size)

    def restore(self, path: str, target: str) -> str:
        name = os.path.basename(path).encode("ascii")
        with self.connect() as sock:
            sock.sendall(self.named(RESTORE, name))
            status, got, size = read_header(sock)
            if status == 1001:
                return "RESTORE %s: not on the server (1001)" % shown(name)
            if status != 210:
                raise ProtocolError("RESTORE answered %d" % status)
            if got != name:
                raise ProtocolError("the answer names %s, not %s" % (shown(got), shown(name)))
            fd, temp = tempfile.mkstemp(prefix=".restore-", dir=os.path.dirname(os.path.abspath(target)))
            try:
                with os.fdopen(fd, "wb") as out:
                    left = size
                    while left > 0:
                        chunk = sock.recv(min(left, CHUNK))
                        if not chunk:
                            raise ProtocolError("payload cut short: %d of %d bytes" % (size - left, size))
                        out.write(chunk)
                        left -= len(chunk)
                os.replace(temp, target)
            except BaseException:
                os.unlink(temp)
                raise
        return "RESTORE %s: %d bytes saved to %s (210)" % (shown(name), size, target)

    def delete(self, path: str) -> str:
        name = os.path.basename(path).encode("ascii")
        with self.connect() as sock:
            sock.sendall(self.named(DELETE, name))
            status, got, _ = read_header(sock)
        if status == 1001:
            return "DELETE %s: not on the server (1001)" % shown(name)
        if status != 212:
            raise ProtocolError("DELETE answered %d" % status)
        return "DELETE %s: deleted (212)" % shown(name)


def main() -> int:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    with open("server.info") as f:
        host, _, port = f.readline().strip().rpartition(":")
    with open("backup.info") as f:
        files = [line.strip() for line in f if line.strip()]
    if len(files) < 2:
        print("client: backup.info lists fewer than two files", file=sys.stderr)
        return 2
    c = Client(host, int(port), timeout)
    print("user %d, server %s:%s" % (c.user, host, port))
    return 1 if run(scripted_steps(c, files), (OSError, ProtocolError, struct.error, UnicodeError)) else 0


def scripted_steps(c, files):
    """The scripted run, in order: each step's op and the call that makes it."""
    return [
        ("LIST", c.list),
        ("BACKUP", lambda: c.backup(files[0])),
        ("BACKUP", lambda: c.backup(files[1])),
        ("LIST", c.list),
        ("RESTORE", lambda: c.restore(files[0], "tmp")),
        ("DELETE", lambda: c.delete(files[0])),
        ("RESTORE", lambda: c.restore(files[0], "tmp")),
    ]


def run(steps, caught) -> int:
    """Makes every step, printing each response, or the failure it raised if that is one of
    caught; returns how many failed."""
    failed = 0
    for what, step in steps:
        try:
            print(step())
        except caught as e:
            failed += 1
            print("%s: failed: %s" % (what, shown(str(e).encode("ascii", "backslashreplace"))), file=sys.stderr)
    return failed

if __name__ == "__main__":
    sys.exit(main())
