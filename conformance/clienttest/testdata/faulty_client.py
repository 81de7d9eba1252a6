#!/usr/bin/env python3
"""Faulty FBP clients of the scripted run, written the way Python clients of the protocol are.

    python3 faulty_client.py FAULT [TIMEOUT_SECONDS]

With FAULT "none" this is a correct client, close to client.py, whose framing helpers and
scripted steps it shares (it must stand beside client.py); every other FAULT switches on
one mistake that breaks one client rule of SPEC §7 the half-right way: the client still works
against a canonical server on small files, and goes wrong only where conform's scenarios reach.
The client tester runs each of them to show that the case aimed at the rule fails.
"""
import os
import struct
import sys
import tempfile

import client
from client import BACKUP, CHUNK, DELETE, LIST, MAX_LISTING, RESTORE, ProtocolError, recv_exact, run, scripted_steps, send_file, shown

FAULTS = {
    "none": "the correct client",
    "send-once": "sends a BACKUP with one sock.send, ignoring the count it returns",
    "one-recv": "reads each response with one recv(65536) and parses whatever came",
    "one-recv-stops": "reads each response with one recv(65536), parses whatever came, and ends the run at the first step that fails",
    "cap-16mib": "stops reading a restored payload after 16 MiB and saves what it got as tmp",
    "listing-4096": "reads the first 4096 bytes of a listing, then closes",
    "decode-listing": "decodes a listing as UTF-8, and does not catch the error",
    "signed-size": "unpacks size as a signed integer (struct '<i')",
    "guess-1001": "reads a 1001 as 3 bytes, as if it carried no name",
    "exit-0": "exits 0 whatever failed",
    "1001-fails": "counts the 1001 to the RESTORE after the DELETE as a failure, and exits 1",
    "path-name": "sends the line of backup.info as the file's name, path and all",
    "save-listing": "saves a listing in a file named by the 211's filename field",
    "backup-no-answer": "closes a BACKUP's connection once the file is sent, without reading the answer",
    "tmp-first": "opens tmp before a RESTORE is answered, and fills it only on a 210",
    "timeout-uncaught": "does not catch a socket timeout",
    "never-runs": "looks for server.info in a folder of its own, and stops there",
}

FAULT = "none"
# The faults that read a response with one recv.
ONE_RECV = ("one-recv", "one-recv-stops")


def unpack_size(b):
    return struct.unpack("<i" if FAULT == "signed-size" else "<I", b)[0]


class Response:
    """A response read up to its payload; rest holds payload bytes a single recv already took."""

    def __init__(self, status, name=None, size=None, rest=b""):
        self.status, self.name, self.size, self.rest = status, name, size, rest


def read_header(sock):
    if FAULT in ONE_RECV:
        data = sock.recv(65536)
        _v, status = struct.unpack("<BH", data[:3])
        if status in (1002, 1003):
            return Response(status)
        (length,) = struct.unpack("<H", data[3:5])
        name = data[5:5 + length]
        if status not in (210, 211):
            return Response(status, name)
        size = unpack_size(data[5 + length:9 + length])
        return Response(status, name, size, data[9 + length:9 + length + size])
    _version, status = struct.unpack("<BH", recv_exact(sock, 3))
    if status in (1002, 1003) or status == 1001 and FAULT == "guess-1001":
        return Response(status)
    if status not in (210, 211, 212, 1001):
        raise ProtocolError("status %d, which the protocol does not define" % status)
    (length,) = struct.unpack("<H", recv_exact(sock, 2))
    name = recv_exact(sock, length)
    size = None
    if status in (210, 211):
        size = unpack_size(recv_exact(sock, 4))
    return Response(status, name, size)


def read_payload(sock, r, limit):
    """Yields the payload of r in chunks, up to limit bytes."""
    if FAULT in ONE_RECV:
        yield r.rest
        return
    got = 0
    while got < min(r.size, limit):
        chunk = sock.recv(min(min(r.size, limit) - got, CHUNK))
        if not chunk:
            raise ProtocolError("payload cut short: %d of %d bytes" % (got, r.size))
        got += len(chunk)
        yield chunk


class Client(client.Client):
    """client.py's connection and request framing, with this file's faults in each op."""

    def list(self):
        with self.connect() as sock:
            sock.sendall(self.prefix(LIST))
            r = read_header(sock)
            if r.status == 1002:
                return "LIST: no files (1002)"
            if r.status != 211:
                raise ProtocolError("LIST answered %d" % r.status)
            if r.size > MAX_LISTING:
                raise ProtocolError("a listing of %d bytes, over %d" % (r.size, MAX_LISTING))
            limit = 4096 if FAULT == "listing-4096" else MAX_LISTING
            listing = b"".join(read_payload(sock, r, limit))
        if FAULT == "save-listing":
            with open(r.name.decode("ascii", "replace"), "wb") as saved:
                saved.write(listing)
        if FAULT == "decode-listing":
            names = [n for n in listing.decode("utf-8").split("\n") if n]
            return "LIST: %d files (211)" % len(names) + "".join("\n  " + shown(n.encode("ascii", "replace")) for n in names)
        names = [n.rstrip(b"\r") for n in listing.split(b"\n") if n.rstrip(b"\r")]
        return "LIST: %d files (211)" % len(names) + "".join("\n  " + shown(n) for n in names)

    def backup(self, path):
        name = (path if FAULT == "path-name" else os.path.basename(path)).encode("ascii")
        size = os.path.getsize(path)
        with self.connect() as sock, open(path, "rb") as f:
            if FAULT == "send-once":
                sock.send(self.named(BACKUP, name) + struct.pack("<I", size) + f.read())
            else:
                sock.sendall(self.named(BACKUP, name) + struct.pack("<I", size))
                send_file(sock, f, size, path)
            if FAULT == "backup-no-answer":
                return "BACKUP %s: sent, %d bytes" % (shown(name), size)
            r = read_header(sock)
        if r.status != 212:
            raise ProtocolError("BACKUP answered %d" % r.status)
        return "BACKUP %s: ok (212), %d bytes stored" % (shown(name), size)

    def restore(self, path, target):
        if FAULT == "tmp-first":
            with open(target, "ab") as out:
                return self.restore_into(path, out)
        return self.restore_into(path, None, target)

    def restore_into(self, path, early, target="tmp"):
        name = os.path.basename(path).encode("ascii")
        with self.connect() as sock:
            sock.sendall(self.named(RESTORE, name))
            r = read_header(sock)
            if r.status == 1001 and FAULT != "1001-fails":
                return "RESTORE %s: not on the server (1001)" % shown(name)
            if r.status != 210:
                raise ProtocolError("RESTORE answered %d" % r.status)
            if early:
                early.truncate(0)
                for chunk in read_payload(sock, r, 1 << 32):
                    early.write(chunk)
                return "RESTORE %s: saved (210)" % shown(name)
            limit = 16 << 20 if FAULT == "cap-16mib" else 1 << 32
            fd, temp = tempfile.mkstemp(prefix=".restore-", dir=os.path.dirname(os.path.abspath(target)))
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in read_payload(sock, r, limit):
                        out.write(chunk)
                os.replace(temp, target)
            except BaseException:
                os.unlink(temp)
                raise
        return "RESTORE %s: saved to %s (210)" % (shown(name), target)

    def delete(self, path):
        name = os.path.basename(path).encode("ascii")
        with self.connect() as sock:
            sock.sendall(self.named(DELETE, name))
            r = read_header(sock)
        if r.status == 1001:
            return "DELETE %s: not on the server (1001)" % shown(name)
        if r.status != 212:
            raise ProtocolError("DELETE answered %d" % r.status)
        return "DELETE %s: deleted (212)" % shown(name)


def until_failure(steps):
    """The steps up to the first that fails, as a run written in one try makes them."""
    failed = False

    def watched(step):
        nonlocal failed
        try:
            return step()
        except BaseException:
            failed = True
            raise

    for what, step in steps:
        if failed:
            return
        yield what, lambda step=step: watched(step)


def main():
    global FAULT
    if len(sys.argv) < 2 or sys.argv[1] not in FAULTS:
        print("usage: faulty_client.py FAULT [TIMEOUT]; FAULT one of: " + ", ".join(FAULTS), file=sys.stderr)
        return 2
    FAULT = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    info = os.path.join("config", "server.info") if FAULT == "never-runs" else "server.info"
    try:
        with open(info) as f:
            host, _, port = f.readline().strip().rpartition(":")
        with open("backup.info") as f:
            files = [line.strip() for line in f if line.strip()]
    except OSError as e:
        print("client: %s" % e, file=sys.stderr)
        return 2
    if len(files) < 2:
        print("client: backup.info lists fewer than two files", file=sys.stderr)
        return 2
    c = Client(host, int(port), timeout)
    print("user %d, server %s:%s" % (c.user, host, port))
    caught = (OSError, ProtocolError, struct.error, ValueError)
    if FAULT == "timeout-uncaught":
        caught = (ConnectionError, ProtocolError, struct.error, ValueError)
    elif FAULT == "decode-listing":
        caught = (OSError, ProtocolError, struct.error)
    steps = scripted_steps(c, files)
    if FAULT == "one-recv-stops":
        steps = until_failure(steps)
    failed = run(steps, caught)
    if FAULT == "exit-0":
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
