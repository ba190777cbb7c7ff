#!/usr/bin/env python3
"""Turns an exported bag directory into one input of the `bag` fuzz target:
each file as a one-byte name length, the name (relative, `/`-separated), a
four-byte little-endian content length and the content.

    crates/verify/fuzz/seeds/make-bag-seed.py BAG_DIR OUT_FILE
"""
import os
import struct
import sys

bag, out = sys.argv[1], sys.argv[2]
with open(out, "wb") as o:
    for root, _, files in sorted(os.walk(bag)):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, bag).replace(os.sep, "/").encode()
            data = open(path, "rb").read()
            o.write(bytes([len(rel)]) + rel + struct.pack("<I", len(data)) + data)
