#!/usr/bin/env python3
"""Test oracle for file backups, independent of the C# code under test.

  filetree.py make ROOT       builds a tree with every edge case a files backup must keep
  filetree.py manifest ROOT   prints one canonical line per entry: everything a restore must
                              reproduce (type, mode, owner, size, mtime in ns, content hash,
                              symlink target, device number, xattrs, hardlink group, holes)
  filetree.py spec ROOT DATA  describes the tree for tests that build files snapshots by hand (no
                              backup engine involved): one JSON object per entry below ROOT (not
                              ROOT itself), as lstat sees it, and each regular file's data (its
                              extents' bytes, one after another) written to the file DATA, at
                              "data" (offset) for "stored" bytes

Paths are handled as bytes throughout, so names that are not UTF-8 are kept exactly. The manifest
leaves out what no restore can reproduce: inode numbers (hardlinks are compared as groups of
paths), ctime, atime, and a symlink's own mode and times.

Spec fields: path (hex of the bytes, relative to ROOT), type (file, dir, symlink, fifo, char, block,
socket), mode (permission bits with setuid/setgid/sticky), uid, gid, mtime/atime/ctime (ns), size,
target (hex of a symlink's target), rdev, dev, ino, nlink, xattrs ([name hex, value hex]) and, for a
file with holes, extents ([offset, length] of its data, from SEEK_DATA/SEEK_HOLE).
"""
import hashlib
import json
import os
import stat
import sys


def make(root: bytes) -> None:
    os.makedirs(root, exist_ok=True)
    j = lambda *parts: os.path.join(root, *parts)

    def write(path, data, mode=0o644, mtime_ns=None):
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=False)

    seed = hashlib.sha256(b"bunker-edge-cases").digest()

    def pseudo_random(n):
        out = bytearray()
        block = seed
        while len(out) < n:
            block = hashlib.sha256(block).digest()
            out += block
        return bytes(out[:n])

    os.makedirs(j(b"docs", b"deep", b"er", b"est"), exist_ok=True)
    write(j(b"empty-file"), b"")
    write(j(b"small.txt"), b"hello, bunker\n", mtime_ns=1_600_000_000_123_456_789)
    # Several chunks at the default 1 MiB average: random, so nothing dedups or compresses away.
    write(j(b"docs", b"big.bin"), pseudo_random(12 << 20))
    write(j(b"docs", b"deep", b"er", b"est", b"leaf"), b"leaf\n", mode=0o600)
    write(j(b"docs", b"repeat.bin"), pseudo_random(3 << 20) * 2)
    # Names: not UTF-8, a newline, spaces, a backslash, a leading dash.
    write(j(b"name-\xff\xfe-latin1-\xe9"), b"not utf-8\n")
    os.makedirs(j(b"dir-\x80\x81"), exist_ok=True)
    write(j(b"dir-\x80\x81", b"inside"), b"in a non-utf-8 directory\n")
    write(j(b"new\nline and space"), b"odd name\n")
    write(j(b"back\\slash"), b"\\\n")
    write(j(b"-dash"), b"-\n")
    # Modes: setuid, setgid, sticky, owner-only, executable.
    write(j(b"setuid"), b"#!/bin/sh\n", mode=0o4755)
    write(j(b"setgid"), b"#!/bin/sh\n", mode=0o2750)
    os.makedirs(j(b"sticky"), exist_ok=True)
    os.chmod(j(b"sticky"), 0o1777)
    write(j(b"private"), b"secret\n", mode=0o600)
    # Owners that exist nowhere: ids are kept as numbers.
    write(j(b"owned"), b"owned\n")
    os.lchown(j(b"owned"), 1234, 5678)
    # Empty directories, one with an odd mode.
    os.makedirs(j(b"empty-dir"), exist_ok=True)
    os.makedirs(j(b"empty-locked"), exist_ok=True)
    os.chmod(j(b"empty-locked"), 0o700)
    # Symlinks: relative, absolute, dangling, to a directory, and one owned by someone else.
    os.symlink(b"small.txt", j(b"link-relative"))
    os.symlink(b"/etc/hostname", j(b"link-absolute"))
    os.symlink(b"does/not/exist", j(b"link-dangling"))
    os.symlink(b"docs", j(b"link-to-dir"))
    os.symlink(b"../../outside", j(b"docs", b"link-up"))
    os.lchown(j(b"link-relative"), 4321, 8765)
    # Hardlinks: three names of one inode across directories, and a pair.
    write(j(b"hard-a"), pseudo_random(70_000))
    os.link(j(b"hard-a"), j(b"docs", b"hard-b"))
    os.link(j(b"hard-a"), j(b"dir-\x80\x81", b"hard-c"))
    write(j(b"pair-1"), b"pair\n")
    os.link(j(b"pair-1"), j(b"pair-2"))
    # A sparse file: 64 MiB with data in three places, holes in between and at the end.
    with open(j(b"sparse.img"), "wb") as f:
        f.truncate(64 << 20)
        for offset in (0, 10 << 20, (40 << 20) + 12345):
            f.seek(offset)
            f.write(pseudo_random(200_000))
    # A file of zeros that is NOT sparse on the source; a restore may make it sparse, the bytes must match.
    write(j(b"zeros.bin"), bytes(3 << 20))
    # Special files.
    os.mkfifo(j(b"fifo"), 0o640)
    os.mknod(j(b"char-null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(j(b"block-loop"), 0o660 | stat.S_IFBLK, os.makedev(7, 200))
    # Extended attributes in the user namespace, one with a binary value and one with an empty one.
    os.setxattr(j(b"small.txt"), b"user.comment", b"a note")
    os.setxattr(j(b"small.txt"), b"user.binary", bytes(range(256)))
    os.setxattr(j(b"docs"), b"user.empty", b"")
    # Times last, deepest first, so that creating children does not move them.
    for dirpath, dirnames, filenames in sorted(os.walk(root), key=lambda w: -w[0].count(b"/")):
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            ns = 1_500_000_000_000_000_000 + (int.from_bytes(hashlib.sha256(path).digest()[:4], "big") * 1_000_003)
            os.utime(path, ns=(ns, ns), follow_symlinks=False)
    os.utime(root, ns=(1_700_000_000_000_000_001, 1_700_000_000_000_000_001))


def xattrs(path: bytes):
    """The extended attributes of a path (not followed if a symlink) as (name, value), sorted by name."""
    for name in sorted(os.listxattr(path, follow_symlinks=False)):
        yield name, os.getxattr(path, name, follow_symlinks=False)


def manifest(root: bytes):
    groups = {}
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            entries.append(os.path.join(dirpath, name))
    entries.append(root)
    for path in entries:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(os.path.relpath(path, root))
    lines = []
    for path in entries:
        rel = os.path.relpath(path, root)
        st = os.lstat(path)
        kind = stat.S_IFMT(st.st_mode)
        fields = [b"path=" + rel.hex().encode(), b"type=%o" % kind, b"uid=%d" % st.st_uid, b"gid=%d" % st.st_gid]
        if not stat.S_ISLNK(st.st_mode):
            fields += [b"mode=%o" % stat.S_IMODE(st.st_mode), b"mtime=%d" % st.st_mtime_ns]
        if stat.S_ISREG(st.st_mode):
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            fields += [b"size=%d" % st.st_size, b"sha256=" + digest.hexdigest().encode(), b"nlink=%d" % st.st_nlink]
            if st.st_nlink > 1:
                group = sorted(groups[(st.st_dev, st.st_ino)])
                fields.append(b"group=" + b",".join(p.hex().encode() for p in group))
            # Holes: a file that had them must have them again (the zeros-only file may gain some).
            if st.st_size >= (1 << 20) and st.st_blocks * 512 < st.st_size // 2:
                fields.append(b"holes")
        elif stat.S_ISLNK(st.st_mode):
            fields.append(b"target=" + os.readlink(path).hex().encode())
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            fields.append(b"rdev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
        if not stat.S_ISLNK(st.st_mode):
            for name, value in xattrs(path):
                fields.append(b"xattr=" + name.encode().hex().encode() + b":" + value.hex().encode())
        lines.append(b" ".join(fields))
    return lines


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
    """One entry of the spec; a regular file's data is appended to DATA."""
    st = os.lstat(path)
    kind = TYPES[stat.S_IFMT(st.st_mode)]
    entry = {"path": os.path.relpath(path, root).hex(), "type": kind, "mode": stat.S_IMODE(st.st_mode),
             "uid": st.st_uid, "gid": st.st_gid, "mtime": st.st_mtime_ns, "atime": st.st_atime_ns,
             "ctime": st.st_ctime_ns, "size": st.st_size if kind == "file" else 0, "rdev": st.st_rdev,
             "dev": st.st_dev, "ino": st.st_ino, "nlink": st.st_nlink, "xattrs": []}
    if kind == "symlink":
        entry["target"] = os.readlink(path).hex()
    else:
        entry["xattrs"] = [[name.encode().hex(), value.hex()] for name, value in xattrs(path)]
    if kind == "file":
        entry["extents"] = extents(path, st.st_size)
        entry["data"] = data.tell()
        with open(path, "rb") as f:
            for offset, length in entry["extents"] or [[0, st.st_size]]:
                f.seek(offset)
                data.write(f.read(length))
        entry["stored"] = data.tell() - entry["data"]
    return entry


def spec(root: bytes, data_path: str) -> None:
    with open(data_path, "wb") as data:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                sys.stdout.write(json.dumps(describe(root, os.path.join(dirpath, name), data)) + "\n")


def main() -> int:
    if not (len(sys.argv) == 3 and sys.argv[1] in ("make", "manifest") or len(sys.argv) == 4 and sys.argv[1] == "spec"):
        sys.stderr.write(__doc__)
        return 2
    root = os.fsencode(sys.argv[2])
    if sys.argv[1] == "make":
        make(root)
    elif sys.argv[1] == "spec":
        spec(root, sys.argv[3])
    else:
        out = sys.stdout.buffer
        for line in manifest(root):
            out.write(line + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
