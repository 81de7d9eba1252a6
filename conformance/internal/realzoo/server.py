#!/usr/bin/env python3
"""An FBP server written the way course servers are written, with one fault at a time.

The partial-fault zoo: every fault is a rule half kept, as a student keeps it, a check on one
op but not the others, a check by string prefix or by removing bad substrings, a cap that small
data never reaches, a cache. Files live on disk under ROOT/<user>/<name>; paths are joined as
strings and opened through the kernel, with no lexical cleaning, so that a traversal reaches
what it reaches on a real server (ROOT/A/../B/x needs ROOT/A to exist). Without --fault the
server keeps every rule of SPEC.md and must pass the whole catalog.

    python3 server.py --port 1234 --root DIR [--fault NAME] [--max-size BYTES]

Standard library only.
"""

import argparse
import os
import secrets
import shutil
import socket
import string
import struct
import sys
import threading

FAULTS = {
    "none": "keeps every rule",
    "backup-only-check": "checks names on BACKUP only: RESTORE and DELETE join the name unchecked",
    "prefix-check": "keeps a name inside the user's folder by a string prefix test of the normalized path",
    "replace-dotdot": "removes '../' from names by one string replacement, and does not refuse '/'",
    "dotdot-prefix-check": "refuses names that start with '..' or '/', wherever else the '..' is",
    "slash-unchecked": "refuses '..' components and a leading '/' but not a '/' inside a name",
    "cut-overwrite-deletes": "removes the old version before the upload arrives: a cut upload loses it",
    "cut-overwrite-truncates": "opens the file with 'wb' before the payload arrives, and removes it when the upload is cut",
    "overwrite-no-trunc": "overwrites in place without truncating: a shorter version keeps the old tail",
    "list-cap-64": "lists the first 64 files of a user only",
    "list-buf-4096": "cuts the listing at 4096 bytes, as a fixed buffer does",
    "list-prefix": "lists the folders whose name starts with the user's id: a user whose id starts with the lister's shows too",
    "alloc-stated-size": "allocates a buffer of the size a BACKUP states before the payload arrives",
    "restore-cache": "serves RESTORE from a cache that BACKUP and DELETE do not update",
    "cache-by-name": "serves RESTORE from a cache keyed by the file's name alone, whatever the user",
    "name-cut-64": "keeps the first 64 characters of a name, as a char[64] does",
    "oversize-reads-on": "refuses a size over its limit with 1003, then reads on: the payload's bytes are read as requests",
    "session-user": "serves every request of a connection as the user of its first",
    "size-cap-16m": "keeps the first 16 MiB of a payload and drops the rest, as a fixed buffer does",
    "cap-under-limit": "takes files up to 10 MB but keeps the first 4 MiB of each",
    "partial-kept": "writes an upload in place and keeps what came of it when the client leaves mid-payload",
    "listing-kept": "writes each listing to a file of the user's folder, under its random name, and leaves it there",
    "temp-kept": "writes an upload to <name>.tmp in the user's folder, copies it to <name> and leaves the .tmp there",
}

BACKUP, RESTORE, DELETE, LIST = 100, 200, 201, 202
RESTORE_OK, LIST_OK, OK = 210, 211, 212
NOT_FOUND, NO_FILES, SERVER_ERROR = 1001, 1002, 1003
MAX_NAME = 255
CHUNK = 64 * 1024
ALNUM = string.ascii_letters + string.digits

fault = "none"
root = ""
tmp_dir = ""
max_size = 64 << 20
cache = {}
cache_lock = threading.Lock()


class Cut(Exception):
    """The client closed, reset or stalled mid-request: no answer is owed."""


def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = conn.recv(min(n - len(buf), CHUNK))
        except (socket.timeout, ConnectionError) as e:
            raise Cut(str(e))
        if not chunk:
            raise Cut("closed")
        buf += chunk
    return bytes(buf)


def recv_head(conn):
    """The 6 bytes every request starts with, or None when the client closed between requests."""
    try:
        first = conn.recv(6)
    except (socket.timeout, ConnectionError):
        return None
    if not first:
        return None
    return first + recv_exact(conn, 6 - len(first))


def copy_payload(conn, f, size):
    left, kept = size, 0
    while left > 0:
        try:
            chunk = conn.recv(min(left, CHUNK))
        except (socket.timeout, ConnectionError) as e:
            raise Cut(str(e))
        if not chunk:
            raise Cut("closed mid-payload")
        left -= len(chunk)
        if f is not None:
            cap = {"size-cap-16m": 16 << 20, "cap-under-limit": 4 << 20}.get(fault)
            if cap is not None:
                chunk = chunk[: max(0, cap - kept)]
            f.write(chunk)
            kept += len(chunk)


def status(code):
    return struct.pack("<BH", 1, code)


def named(code, name):
    return status(code) + struct.pack("<H", len(name)) + name


def bad_chars(name):
    """The character rules of R-5.1: empty, too long, NUL, control, backslash, not ASCII."""
    if not name or len(name) > MAX_NAME:
        return True
    return any(b < 0x20 or b >= 0x7F or b == ord("\\") for b in name)


def refused(user, name):
    """Whether the name is refused, as the fault checks it."""
    text = name.decode("latin-1")
    if fault == "prefix-check":
        if bad_chars(name):
            return True
        base = os.path.join(root, str(user))
        return not os.path.normpath(os.path.join(base, text)).startswith(base)
    if fault == "replace-dotdot":
        return bad_chars(name) or text in (".", "..") or text.startswith("/")
    if fault == "dotdot-prefix-check":
        return bad_chars(name) or text.startswith("..") or text.startswith("/") or text == "."
    if fault == "slash-unchecked":
        return bad_chars(name) or text.startswith("/") or ".." in text.split("/") or text == "."
    return bad_chars(name) or text in (".", "..") or "/" in text


def path_of(user, name):
    text = name.decode("latin-1")
    if fault == "replace-dotdot":
        text = text.replace("../", "")
    if fault == "name-cut-64":
        text = text[:64]
    if fault == "prefix-check":
        return os.path.normpath(os.path.join(root, str(user), text))
    return os.path.join(root, str(user), text)


def checked(op, user, name):
    if fault == "backup-only-check" and op != BACKUP:
        return False
    return refused(user, name)


def handle_backup(conn, user, name):
    """Serves a BACKUP; returns whether the connection can serve another request."""
    (size,) = struct.unpack("<I", recv_exact(conn, 4))
    if size > max_size:
        conn.sendall(status(SERVER_ERROR))
        return fault == "oversize-reads-on"
    if checked(BACKUP, user, name):
        copy_payload(conn, None, size)
        conn.sendall(status(SERVER_ERROR))
        return True
    path = path_of(user, name)
    try:
        os.makedirs(os.path.join(root, str(user)), exist_ok=True)
        if fault in ("cut-overwrite-truncates", "overwrite-no-trunc", "partial-kept"):
            store_in_place(conn, path, size)
        else:
            store_atomically(conn, path, size)
    except OSError:
        # The payload may be half read: the connection cannot be read on.
        conn.sendall(status(SERVER_ERROR))
        return False
    forget(name)
    conn.sendall(named(OK, name))
    return True


def store_atomically(conn, path, size):
    if fault == "temp-kept":
        with open(path + ".tmp", "wb") as f:
            copy_payload(conn, f, size)
        shutil.copyfile(path + ".tmp", path)
        return
    if fault == "cut-overwrite-deletes" and os.path.exists(path):
        os.remove(path)
    tmp = os.path.join(tmp_dir, secrets.token_hex(8))
    try:
        with open(tmp, "wb") as f:
            if fault == "alloc-stated-size":
                buf = bytearray(size)
                view, got = memoryview(buf), 0
                while got < size:
                    n = conn.recv_into(view[got:], min(size - got, CHUNK))
                    if n == 0:
                        raise Cut("closed mid-payload")
                    got += n
                f.write(buf)
            else:
                copy_payload(conn, f, size)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def store_in_place(conn, path, size):
    if fault == "partial-kept":
        with open(path, "wb") as f:
            copy_payload(conn, f, size)
        return
    if fault == "overwrite-no-trunc":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                copy_payload(conn, f, size)
        except Cut:
            os.remove(path)
            raise
        return
    try:
        with open(path, "wb") as f:
            copy_payload(conn, f, size)
    except Cut:
        os.remove(path)
        raise


def handle_restore(conn, user, name):
    if checked(RESTORE, user, name):
        conn.sendall(named(NOT_FOUND, name))
        return
    path = path_of(user, name)
    if fault in ("restore-cache", "cache-by-name"):
        key = name if fault == "cache-by-name" else path
        with cache_lock:
            data = cache.get(key)
        if data is None:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except (OSError, ValueError):
                conn.sendall(named(NOT_FOUND, name))
                return
            with cache_lock:
                cache[key] = data
        conn.sendall(named(RESTORE_OK, name) + struct.pack("<I", len(data)) + data)
        return
    try:
        f = open(path, "rb")
    except (OSError, ValueError):
        conn.sendall(named(NOT_FOUND, name))
        return
    with f:
        size = os.fstat(f.fileno()).st_size
        conn.sendall(named(RESTORE_OK, name) + struct.pack("<I", size))
        # The file is replaced by rename, never written in place: this handle keeps one version.
        left = size
        while left > 0:
            chunk = f.read(min(left, CHUNK))
            if not chunk:
                break
            conn.sendall(chunk)
            left -= len(chunk)


def forget(name):
    """A name-keyed cache forgets a name that changed (the path-keyed one never does)."""
    if fault == "cache-by-name":
        with cache_lock:
            cache.pop(name, None)


def handle_delete(conn, user, name):
    if checked(DELETE, user, name):
        conn.sendall(named(NOT_FOUND, name))
        return
    try:
        os.remove(path_of(user, name))
    except (OSError, ValueError):
        conn.sendall(named(NOT_FOUND, name))
        return
    forget(name)
    conn.sendall(named(OK, name))


def handle_list(conn, user):
    try:
        names = sorted(os.listdir(os.path.join(root, str(user))))
    except OSError:
        names = []
    if fault == "list-prefix":
        names = sorted(n for d in os.listdir(root) if d.startswith(str(user)) for n in os.listdir(os.path.join(root, d)))
    if fault == "list-cap-64":
        names = names[:64]
    if not names:
        conn.sendall(status(NO_FILES))
        return
    listing = "".join(n + "\n" for n in names).encode("latin-1", "replace")
    if fault == "list-buf-4096":
        listing = listing[:4096]
    tag = "".join(secrets.choice(ALNUM) for _ in range(32)).encode()
    if fault == "listing-kept":
        with open(os.path.join(root, str(user), tag.decode()), "wb") as f:
            f.write(listing)
    conn.sendall(named(LIST_OK, tag) + struct.pack("<I", len(listing)) + listing)


def serve(conn, timeout):
    conn.settimeout(timeout)
    first_user = None
    try:
        while True:
            head = recv_head(conn)
            if head is None:
                return
            user, _version, op = struct.unpack("<IBB", head)
            if first_user is None:
                first_user = user
            if fault == "session-user":
                user = first_user
            if op == LIST:
                handle_list(conn, user)
                continue
            if op not in (BACKUP, RESTORE, DELETE):
                conn.sendall(status(SERVER_ERROR))
                return
            (name_len,) = struct.unpack("<H", recv_exact(conn, 2))
            name = recv_exact(conn, name_len)
            if op == BACKUP:
                if not handle_backup(conn, user, name):
                    return
            elif op == RESTORE:
                handle_restore(conn, user, name)
            else:
                handle_delete(conn, user, name)
    except (Cut, OSError):
        pass
    finally:
        conn.close()


def main():
    global fault, root, tmp_dir, max_size
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True, help="storage folder: ROOT/<user>/<name>")
    p.add_argument("--fault", default="none", choices=sorted(FAULTS))
    p.add_argument("--max-size", type=int, default=max_size, help="largest payload accepted")
    p.add_argument("--read-timeout", type=float, default=2.0, help="seconds a read may wait")
    a = p.parse_args()
    fault, root, max_size = a.fault, a.root, a.max_size
    if fault == "cap-under-limit":
        max_size = 10 * 1000 * 1000
    # Uploads are written here and renamed into place: never in a user's folder, never listed.
    tmp_dir = os.path.join(root, ".uploads")
    os.makedirs(tmp_dir, exist_ok=True)
    ln = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ln.bind(("127.0.0.1", a.port))
    ln.listen(128)
    print(f"serving on 127.0.0.1:{a.port}, fault {fault}: {FAULTS[fault]}", file=sys.stderr, flush=True)
    while True:
        conn, _ = ln.accept()
        threading.Thread(target=serve, args=(conn, a.read_timeout), daemon=True).start()


if __name__ == "__main__":
    main()
