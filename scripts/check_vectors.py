#!/usr/bin/env python3
"""Check the FBP golden vectors with a decoder of their own, written from SPEC.md.

Reads requests.json, responses.json and names.json (schema fbp-vectors/1, see vectors/README.md),
decodes every vector and compares the result with what the vector states: decoded fields and
bytes consumed for a valid one, error class, field and offset for an invalid one, and the
verdict on each filename. Standard library only. Prints one line per failure, then
"N passed, M failed". Exit status: 0 every vector holds, 1 a vector failed, 2 usage error.
"""

import argparse
import json
import os
import struct
import sys

SCHEMA = "fbp-vectors/1"
FILES = ("requests.json", "responses.json", "names.json")

# SPEC §2 and §3: the fields after the fixed prefix, per op and per status.
NAME, SIZE = "name", "size"
REQUEST_LAYOUT = {100: (NAME, SIZE), 200: (NAME,), 201: (NAME,), 202: ()}
RESPONSE_LAYOUT = {210: (NAME, SIZE), 211: (NAME, SIZE), 212: (NAME,), 1001: (NAME,), 1002: (), 1003: ()}


class DecodeError(Exception):
    def __init__(self, cls, field=None, offset=None):
        super().__init__(cls)
        self.cls, self.field, self.offset = cls, field, offset


class Cursor:
    """Reads fields front to back; a field cut short raises truncated at the input's end."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n, field):
        if self.pos + n > len(self.data):
            if len(self.data) == 0:
                raise DecodeError("eof")
            raise DecodeError("truncated", field, len(self.data))
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt, field):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), field))[0]


def decode(data, kind, max_name, max_payload, header_only):
    """Returns (fields, consumed) or raises DecodeError."""
    c = Cursor(data)
    out = {}
    if kind == "request":
        out["user_id"] = c.unpack("<I", "user_id")
        out["version"] = c.unpack("<B", "version")
        out["op"] = c.unpack("<B", "op")
        layout = REQUEST_LAYOUT.get(out["op"])
        if layout is None:
            raise DecodeError("unknown_op", "op", c.pos)
    else:
        out["version"] = c.unpack("<B", "version")
        out["status"] = c.unpack("<H", "status")
        layout = RESPONSE_LAYOUT.get(out["status"])
        if layout is None:
            raise DecodeError("unknown_status", "status", c.pos)
    if NAME in layout:
        name_len = c.unpack("<H", "name_len")
        # a length over the limit is refused before anything it announces is read.
        if name_len > max_name:
            raise DecodeError("name_too_long", "name_len", c.pos)
        out["name"] = c.take(name_len, "filename")
    if SIZE in layout:
        out["size"] = c.unpack("<I", "size")
        if out["size"] > max_payload:
            raise DecodeError("payload_too_large", "size", c.pos)
        if not header_only:
            out["payload"] = c.take(out["size"], "payload")
    return out, c.pos


def stated_fields(d):
    """The vector's decoded fields, in the shape decode() returns."""
    out = {k: d[k] for k in ("user_id", "version", "op", "status", "size") if k in d}
    if "name" in d:
        out["name"] = d["name"].encode("ascii")
    if "name_hex" in d:
        out["name"] = bytes.fromhex(d["name_hex"])
    if "payload_hex" in d:
        out["payload"] = bytes.fromhex(d["payload_hex"])
    return out


def check_message(v, kind, limits):
    """Returns None if v holds, else a description of the difference."""
    data = bytes.fromhex(v["hex"])
    header_only = v.get("scope", "message") == "header"
    try:
        got, consumed = decode(data, kind, limits["max_name"], limits["max_payload"], header_only)
        got_result = ("valid", got, consumed)
    except DecodeError as e:
        got_result = ("invalid", e.cls, e.field, e.offset)
    if v["result"] == "valid":
        want = ("valid", stated_fields(v["decoded"]), v["consumed"])
    else:
        err = v["error"]
        want = ("invalid", err["class"], err.get("field"), err.get("offset"))
    if got_result != want:
        return "want %r, got %r" % (want, got_result)
    return None


def check_name(name, max_name):
    """The reason class of the first rule of R-5.1 / R-1.2 that name breaks, or None."""
    if not name:
        return "empty"
    if len(name) > max_name:
        return "too_long"
    if name in (b".", b".."):
        return "dot"
    for c in name:
        if c in (0x2F, 0x5C):
            return "separator"
        if c == 0:
            return "nul"
        if c < 0x20 or c == 0x7F:
            return "control"
        if c > 0x7F:
            return "non_ascii"
    return None


def load(path, failures):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("schema") != SCHEMA:
        failures.append("%s: schema %r, want %r" % (path, doc.get("schema"), SCHEMA))
    count = sum(len(g["vectors"]) for g in doc["groups"])
    if count != doc.get("numberOfVectors"):
        failures.append("%s: numberOfVectors %r, but %d vectors" % (path, doc.get("numberOfVectors"), count))
    return doc


def parse_folder(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # A usage error is one line and a hint, as the toolkit's commands give it.
    p.error = lambda message: p.exit(2, "%s: %s\nrun 'python3 %s -h' for usage\n" % (p.prog, message, argv[0]))
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "vectors")
    p.add_argument("folder", nargs="?", default=default, metavar="vectors-dir",
                   help="the folder of %s (default: vectors/ beside scripts/)" % ", ".join(FILES))
    folder = p.parse_args(argv[1:]).folder
    for name in (n for n in FILES if not os.path.isfile(os.path.join(folder, n))):
        p.error("no %s in %s" % (name, folder))
    return folder


def main(argv):
    folder = parse_folder(argv)
    passed, failures, ids = 0, [], set()

    def record(vid, problem):
        nonlocal passed
        if vid in ids:
            problem = problem or "id used twice"
        ids.add(vid)
        if problem:
            failures.append("%s: %s" % (vid, problem))
        else:
            passed += 1

    for filename, kind in (("requests.json", "request"), ("responses.json", "response")):
        doc = load(os.path.join(folder, filename), failures)
        if doc.get("message") != kind:
            failures.append("%s: message %r, want %r" % (filename, doc.get("message"), kind))
        for group in doc["groups"]:
            for v in group["vectors"]:
                try:
                    problem = check_message(v, kind, group["limits"])
                except (KeyError, ValueError, TypeError) as e:
                    problem = "malformed vector: %r" % (e,)
                record(v["id"], problem)

    doc = load(os.path.join(folder, "names.json"), failures)
    for group in doc["groups"]:
        for v in group["vectors"]:
            reason = check_name(bytes.fromhex(v["name_hex"]), group["limits"]["max_name"])
            want = (v["result"], v.get("reason"))
            got = ("valid", None) if reason is None else ("invalid", reason)
            record(v["id"], None if got == want else "want %r, got %r" % (want, got))

    for line in failures:
        print(line)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
