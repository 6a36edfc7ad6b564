#!/usr/bin/env python3
"""Describes a tree for tests that build files snapshots by hand (no backup engine involved).

  treespec.py ROOT DATA    prints one JSON object per entry below ROOT (not ROOT itself), as lstat sees
                          it, and writes each regular file's data (its extents' bytes, one after
                          another) to the file DATA, at "data" (offset) for "stored" bytes

Fields: path (hex of the bytes, relative to ROOT), type (file, dir, symlink, fifo, char, block, socket),
mode (permission bits with setuid/setgid/sticky), uid, gid, mtime/atime/ctime (ns), size, target (hex
of a symlink's target), rdev, dev, ino, nlink, xattrs ([name hex, value hex]) and, for a file with
holes, extents ([offset, length] of its data, from SEEK_DATA/SEEK_HOLE). Names are bytes throughout,
so a caller that cannot open names that are not UTF-8 still gets every file's content.
"""
import json
import os
import stat
import sys

TYPES = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFIFO: "fifo",
         stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFSOCK: "socket"}


def extents(path: bytes, size: int):
    """Data ranges of a file, or None when it is one range [0, size) (no holes)."""
    found = []
    fd = os.open(path, os.O_RDONLY)
    try:
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            found.append([start, min(end, size) - start])
            offset = end
    finally:
        os.close(fd)
    if size == 0 or found == [[0, size]]:
        return None
    return found


def describe(root: bytes, path: bytes, data):
    st = os.lstat(path)
    kind = TYPES[stat.S_IFMT(st.st_mode)]
    entry = {"path": os.path.relpath(path, root).hex(), "type": kind, "mode": stat.S_IMODE(st.st_mode),
             "uid": st.st_uid, "gid": st.st_gid, "mtime": st.st_mtime_ns, "atime": st.st_atime_ns,
             "ctime": st.st_ctime_ns, "size": st.st_size if kind == "file" else 0, "rdev": st.st_rdev,
             "dev": st.st_dev, "ino": st.st_ino, "nlink": st.st_nlink, "xattrs": []}
    if kind == "symlink":
        entry["target"] = os.readlink(path).hex()
    else:
        for name in sorted(os.listxattr(path, follow_symlinks=False)):
            entry["xattrs"].append([name.encode().hex(), os.getxattr(path, name, follow_symlinks=False).hex()])
    if kind == "file":
        entry["extents"] = extents(path, st.st_size)
        entry["data"] = data.tell()
        with open(path, "rb") as f:
            for offset, length in entry["extents"] or [[0, st.st_size]]:
                f.seek(offset)
                data.write(f.read(length))
        entry["stored"] = data.tell() - entry["data"]
    return entry


def main() -> int:
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    root = os.fsencode(sys.argv[1])
    with open(sys.argv[2], "wb") as data:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                sys.stdout.write(json.dumps(describe(root, os.path.join(dirpath, name), data)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
