"""Issue 13: `cove privacy` says whether the data folder is on an encrypted volume (dm-crypt/LUKS, fscrypt, eCryptfs)
or "unknown", and recommends disk encryption when it is not. Fake /proc/mounts and /sys trees for each case, plus the
real answer on this machine."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.privacy.disk_encryption import ENCRYPTED, NOT_ENCRYPTED, UNKNOWN, check, mount_of, parse_mounts

REPO = Path(__file__).resolve().parents[2]
MOUNTS = """\
/dev/mapper/vg-root / ext4 rw,relatime 0 0
/dev/sda1 /boot ext4 rw 0 0
/dev/nvme0n1p3 /data ext4 rw 0 0
/home/ann/.Private /home/ann ecryptfs rw,ecryptfs_cipher=aes 0 0
server:/export /mnt/nas nfs4 rw 0 0
/dev/sdb1 /media/usb\\040stick vfat rw 0 0
"""


def _sys_tree(root: Path) -> Path:
    """dm-1 (LVM) on dm-0 (LUKS2) on sda2; nvme0n1p3 a plain partition; sdb1 plain."""
    blocks = root / "devices" / "virtual" / "block"
    for name, uuid in (("dm-0", "CRYPT-LUKS2-0a1b2c-luks"), ("dm-1", "LVM-abc")):
        (blocks / name / "dm").mkdir(parents=True)
        (blocks / name / "dm" / "uuid").write_text(uuid + "\n")
    (blocks / "dm-1" / "slaves").mkdir()
    os.symlink(blocks / "dm-0", blocks / "dm-1" / "slaves" / "dm-0")
    nvme = root / "devices" / "pci" / "nvme0n1"
    (nvme / "nvme0n1p3").mkdir(parents=True)
    (nvme / "nvme0n1p3" / "partition").write_text("3\n")
    usb = root / "devices" / "usb" / "sdb"
    (usb / "sdb1").mkdir(parents=True)
    (usb / "sdb1" / "partition").write_text("1\n")
    (root / "dev" / "block").mkdir(parents=True)
    for dev, target in (("253:1", blocks / "dm-1"), ("253:0", blocks / "dm-0"), ("259:3", nvme / "nvme0n1p3"),
                        ("8:17", usb / "sdb1")):
        os.symlink(target, root / "dev" / "block" / dev)
    return root


def _check(path: str, sys_root: Path, dev=None, flag=lambda p: False):  # type: ignore[no-untyped-def]
    return check(path, mounts_text=MOUNTS, sys_root=str(sys_root), dev=dev, encrypt_flag=flag, platform="linux")


def test_mount_table_parsing_and_lookup():
    mounts = parse_mounts(MOUNTS)
    assert mount_of("/media/usb stick/x", mounts).device == "/dev/sdb1"  # \\040 is a space
    assert mount_of("/home/ann/notes", mounts).fstype == "ecryptfs"
    assert mount_of("/home/bob", mounts).point == "/"
    assert mount_of("/database", mounts).point == "/"  # /data is not a prefix of /database


def test_luks_under_lvm_is_encrypted(tmp_path):
    r = _check("/home/bob/.local/share/Cove", _sys_tree(tmp_path), dev=(253, 1))
    assert (r.state, r.how) == (ENCRYPTED, "dm-crypt (LUKS2) on dm-0")


def test_plain_partition_is_not_encrypted_and_the_advice_says_so(tmp_path):
    r = _check("/data/cove", _sys_tree(tmp_path), dev=(259, 3))
    assert r.state == NOT_ENCRYPTED and r.device == "/dev/nvme0n1p3"
    assert "not encrypted" in r.advice and "full-disk encryption" in r.advice


def test_ecryptfs_and_fscrypt_are_encrypted(tmp_path):
    sysroot = _sys_tree(tmp_path)
    assert _check("/home/ann/Cove", sysroot).how == "eCryptfs"
    r = _check("/data/private/cove", sysroot, dev=(259, 3), flag=lambda p: p == "/data/private")
    assert (r.state, r.how) == (ENCRYPTED, "fscrypt")


def test_what_cannot_be_seen_is_unknown(tmp_path):
    sysroot = _sys_tree(tmp_path)
    assert _check("/mnt/nas/cove", sysroot).state == UNKNOWN
    assert _check("/data/cove", sysroot, dev=(7, 7)).state == UNKNOWN  # no such device, no /sys/class/block entry
    assert check("/x", mounts_text="", platform="linux").state == UNKNOWN
    assert check("/x", platform="darwin").state == UNKNOWN
    r = _check("/data/cove", tmp_path / "no-sys", dev=(259, 3))
    assert r.state == UNKNOWN and "encryption" in r.advice


def test_real_machine_answer_and_cove_privacy_json(tmp_path):
    r = check(tmp_path)
    assert r.state in (ENCRYPTED, NOT_ENCRYPTED, UNKNOWN)
    env = {**os.environ, "COVE_DATA_DIR": str(tmp_path / "d"), "COVE_CONFIG_DIR": str(tmp_path / "c")}
    out = subprocess.run([sys.executable, "-m", "app.cli", "privacy", "--json"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    enc = json.loads(out.stdout)["disk_encryption"]
    assert enc["state"] in (ENCRYPTED, NOT_ENCRYPTED, UNKNOWN) and enc["advice"]
    text = subprocess.run([sys.executable, "-m", "app.cli", "privacy"], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120).stdout
    assert f"Disk encryption of the data folder: {enc['state']}" in text
