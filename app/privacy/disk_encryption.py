"""Is Cove's data folder on an encrypted volume? (`cove privacy`.)

Why: the index holds the text of every indexed file and the chat history holds answers; owner-only permissions do
not protect a lost laptop or a disk taken out of it. Only disk encryption does, so Cove says whether it sees one and
recommends it when it does not.

How (Linux; elsewhere the answer is "unknown"): the mount holding the folder, from /proc/self/mounts —
- eCryptfs: the mount's file-system type is `ecryptfs`;
- fscrypt (ext4/f2fs/ubifs directory encryption): the folder or a parent up to the mount point has FS_ENCRYPT_FL;
- dm-crypt/LUKS: the block device, or any device beneath it (LVM on LUKS), has /sys/block/<dev>/dm/uuid "CRYPT-…".
A plain local block device with none of these is "not encrypted"; anything Cove cannot see through (network file
systems, FUSE, overlay, tmpfs, no /sys) is "unknown". Hardware self-encrypting drives cannot be seen from here.
"""
from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

ENCRYPTED, NOT_ENCRYPTED, UNKNOWN = "encrypted", "not encrypted", "unknown"
FS_IOC_GETFLAGS = 0x80086601  # _IOR('f', 1, long) on 64-bit Linux
FS_ENCRYPT_FL = 0x00000800
# file systems whose backing store Cove cannot inspect
OPAQUE_FS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "overlay", "aufs", "9p", "virtiofs", "tmpfs",
                       "ramfs", "fuse", "fuseblk", "zfs", "afs", "ceph", "glusterfs", "davfs"})


@dataclass(frozen=True)
class Mount:
    device: str
    point: str
    fstype: str


@dataclass(frozen=True)
class DiskEncryption:
    state: str  # encrypted | not encrypted | unknown
    how: str  # "dm-crypt (LUKS2) on dm-0", "fscrypt", "eCryptfs", or "" when not encrypted / unknown
    mount_point: str
    device: str
    fstype: str
    advice: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_mounts(text: str) -> list[Mount]:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            dev, point, fstype = (_unescape(p) for p in parts[:3])
            out.append(Mount(dev, point, fstype))
    return out


def _unescape(field: str) -> str:  # /proc/mounts writes space, tab, newline, backslash as \040 \011 \012 \134
    for code, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, ch)
    return field


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount that holds `path` (the longest mount point above it; the last one mounted wins a tie)."""
    best: Mount | None = None
    for m in mounts:
        point = m.point.rstrip("/") or "/"
        if path == point or path.startswith(point.rstrip("/") + "/") or point == "/":
            if best is None or len(point) >= len(best.point.rstrip("/") or "/"):
                best = m
    return best


def _crypt_in_chain(block_dir: Path, seen: set[str] | None = None) -> str:
    """"dm-crypt (LUKS2) on dm-0" if this block device or one beneath it (slaves/) is a dm-crypt target, else ""."""
    seen = seen if seen is not None else set()
    try:
        real = block_dir.resolve()
    except OSError:
        return ""
    if str(real) in seen or len(seen) > 32:
        return ""
    seen.add(str(real))
    try:
        uuid = (real / "dm" / "uuid").read_text().strip()
    except OSError:
        uuid = ""
    if uuid.startswith("CRYPT-"):
        kind = uuid.split("-")[1] if uuid.count("-") >= 2 else "plain"
        return f"dm-crypt ({kind}) on {real.name}"
    candidates = []
    slaves = real / "slaves"
    if slaves.is_dir():
        candidates += [slaves / n for n in sorted(os.listdir(slaves))]
    if (real / "partition").exists():  # a partition: the disk above it may be a dm device (rare) — look there too
        candidates.append(real.parent)
    for c in candidates:
        found = _crypt_in_chain(c, seen)
        if found:
            return found
    return ""


def _has_encrypt_flag(path: str) -> bool:
    import fcntl
    import struct

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else os.O_RDONLY)
    try:
        buf = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0))
        return bool(struct.unpack("l", buf)[0] & FS_ENCRYPT_FL)
    finally:
        os.close(fd)


def check(path: str | os.PathLike[str], *, mounts_text: str | None = None, sys_root: str = "/sys",
          dev: tuple[int, int] | None = None, encrypt_flag: Callable[[str], bool] | None = None,
          platform: str = sys.platform) -> DiskEncryption:
    """Whether the volume holding `path` is encrypted. Every source can be injected, for tests."""
    if not platform.startswith("linux"):
        return _result(UNKNOWN, "", "", "", "", "Cove can only tell on Linux.")
    real = os.path.realpath(os.fspath(path))
    try:
        if mounts_text is None:
            mounts_text = Path("/proc/self/mounts").read_text()
    except OSError:
        return _result(UNKNOWN, "", "", "", "", "Cove cannot read the mount table.")
    m = mount_of(real, parse_mounts(mounts_text))
    if m is None:
        return _result(UNKNOWN, "", "", "", "", "Cove cannot find the mount that holds the data folder.")
    if m.fstype == "ecryptfs":
        return _result(ENCRYPTED, "eCryptfs", m.point, m.device, m.fstype)
    flag = encrypt_flag or _safe_flag
    probe = real
    while True:  # fscrypt: the policy is set on a directory and inherited by everything below it
        if flag(probe):
            return _result(ENCRYPTED, "fscrypt", m.point, m.device, m.fstype)
        if probe == m.point or probe == "/" or len(probe) <= len(m.point):
            break
        probe = os.path.dirname(probe)
    if m.fstype in OPAQUE_FS or m.fstype.startswith("fuse"):
        return _result(UNKNOWN, "", m.point, m.device, m.fstype,
                       f"Cove cannot see what is under a {m.fstype} file system.")
    block = _block_dir(real, m, sys_root, dev)
    if block is None:
        return _result(UNKNOWN, "", m.point, m.device, m.fstype, "Cove cannot find the disk under the data folder.")
    how = _crypt_in_chain(block)
    if how:
        return _result(ENCRYPTED, how, m.point, m.device, m.fstype)
    return _result(NOT_ENCRYPTED, "", m.point, m.device, m.fstype)


def _safe_flag(path: str) -> bool:
    try:
        return _has_encrypt_flag(path)
    except (OSError, ImportError, ValueError):
        return False


def _block_dir(real: str, m: Mount, sys_root: str, dev: tuple[int, int] | None) -> Path | None:
    if dev is None:
        try:
            st = os.stat(real)
            dev = (os.major(st.st_dev), os.minor(st.st_dev))
        except OSError:
            dev = None
    if dev is not None and dev[0] != 0:  # major 0: an anonymous device (btrfs subvolume...): use the mount's device
        p = Path(sys_root) / "dev" / "block" / f"{dev[0]}:{dev[1]}"
        if p.exists():
            return p
    if m.device.startswith("/dev/"):
        name = os.path.basename(os.path.realpath(m.device))  # /dev/mapper/root → dm-0
        p = Path(sys_root) / "class" / "block" / name
        if p.exists():
            return p
    return None


def _result(state: str, how: str, point: str, device: str, fstype: str, why: str = "") -> DiskEncryption:
    if state == ENCRYPTED:
        advice = "Your data folder is on an encrypted volume: a lost or stolen disk does not reveal it."
    elif state == NOT_ENCRYPTED:
        advice = ("Your data folder is on a disk that is not encrypted: anyone who gets the disk can read the index and "
                  "chat history. Turn on full-disk encryption (LUKS, chosen when installing Linux; FileVault on "
                  "macOS; BitLocker on Windows), or keep the data folder on an encrypted volume (--data-dir).")
    else:
        advice = (f"{why} Make sure full-disk encryption is on (LUKS, FileVault or BitLocker), or keep the data folder "
                  "on an encrypted volume (--data-dir).").strip()
    return DiskEncryption(state, how, point, device, fstype, advice)
