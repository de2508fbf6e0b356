"""Find the local mail stores on this computer without indexing anything (`cove mail discover`).

Why only well-known places: the user decides what to add, so we list the stores mail clients keep (Thunderbird
profiles, Evolution, KMail, notmuch, ~/Maildir, Apple Mail) with a rough message count and leave the choice to them.
Counting is cheap: Maildir messages are directory entries; mbox files are scanned for `From ` lines, and files
larger than a sample are extrapolated from it.
"""
from __future__ import annotations

import configparser
import os
from dataclasses import asdict, dataclass
from typing import Iterator

from indexer.mail import mbox as mboxfmt
from indexer.mail.detect import looks_like_mbox

_SAMPLE_BYTES = 8 * 1024 * 1024
_MAX_WALK = 20000  # directory entries looked at per store: discovery must stay instant


@dataclass(frozen=True)
class MailStore:
    """One store a user could add: where it is, what kind, how big."""

    kind: str  # thunderbird | evolution | kmail | notmuch | maildir | mbox | apple-mail
    path: str
    label: str
    folders: int
    messages: int  # an estimate for large mbox files
    size_bytes: int
    estimated: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _count_mbox(path: str) -> tuple[int, bool]:
    """Messages in an mbox (exact up to the sample size, extrapolated above it)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError:
        return 0, False
    if not head.startswith(b"From "):
        return 0, False
    n = sum(1 for _ in mboxfmt.spans(head, 0, len(head)))
    if size <= len(head):
        return n, False
    return max(n, round(n * size / len(head))), True


@dataclass
class _Tally:
    folders: int = 0
    messages: int = 0
    size: int = 0
    estimated: bool = False
    seen: int = 0


def _walk_store(root: str) -> _Tally:
    """Count Maildir folders (cur/new entries) and mbox files (Thunderbird: extension-less, next to `.msf`)."""
    t = _Tally()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("tmp",) and not d.startswith(".git"))
        t.seen += len(filenames) + len(dirnames)
        if t.seen > _MAX_WALK:
            t.estimated = True
            break
        base = os.path.basename(dirpath)
        if base in ("cur", "new") and os.path.isdir(os.path.join(os.path.dirname(dirpath), "cur" if base == "new" else "new")):
            if base == "cur":
                t.folders += 1
            t.messages += len(filenames)
            t.size += sum(_size(os.path.join(dirpath, f)) for f in filenames[:2000])
            continue
        names = set(filenames)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if f.endswith(".msf") or f.startswith("."):
                continue
            is_tb = f + ".msf" in names
            if f.endswith((".mbox", ".mbx")) or is_tb or (not os.path.splitext(f)[1] and _head_is_mbox(p)):
                n, est = _count_mbox(p)
                if n or is_tb:
                    t.folders += 1
                    t.messages += n
                    t.size += _size(p)
                    t.estimated |= est
            elif f.endswith((".eml", ".emlx")):
                t.messages += 1
                t.size += _size(p)
    return t


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _head_is_mbox(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return looks_like_mbox(fh.read(4096))
    except OSError:
        return False


def _thunderbird_profiles(base: str) -> Iterator[str]:
    """Profile folders listed in profiles.ini (relative or absolute), plus any folder holding prefs.js."""
    seen: set[str] = set()
    ini = os.path.join(base, "profiles.ini")
    if os.path.isfile(ini):
        cp = configparser.RawConfigParser()
        try:
            cp.read(ini, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            pass
        for section in cp.sections():
            path = cp.get(section, "Path", fallback="")
            if not path:
                continue
            rel = cp.get(section, "IsRelative", fallback="1") == "1"
            full = os.path.normpath(os.path.join(base, path) if rel else path)
            if os.path.isdir(full) and full not in seen:
                seen.add(full)
                yield full
    for parent in (base, os.path.join(base, "Profiles")):
        try:
            entries = sorted(os.listdir(parent))
        except OSError:
            continue
        for name in entries:
            full = os.path.join(parent, name)
            if full not in seen and os.path.isfile(os.path.join(full, "prefs.js")):
                seen.add(full)
                yield full


def _notmuch_path(home: str, env: dict[str, str]) -> str | None:
    for cfg in (env.get("NOTMUCH_CONFIG"), os.path.join(home, ".notmuch-config"),
                os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "notmuch", "default",
                             "config")):
        if not cfg or not os.path.isfile(cfg):
            continue
        cp = configparser.RawConfigParser()
        try:
            cp.read(cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue
        path = cp.get("database", "mail_root", fallback="") or cp.get("database", "path", fallback="")
        if path:
            return os.path.normpath(path if os.path.isabs(path) else os.path.join(home, path))
    return None


def _candidates(home: str, env: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(kind, path, label) of every place a mail store may live."""
    tb_bases = [os.path.join(home, ".thunderbird"), os.path.join(home, ".mozilla-thunderbird"),
                os.path.join(home, "snap", "thunderbird", "common", ".thunderbird"),
                os.path.join(home, ".var", "app", "org.mozilla.Thunderbird", ".thunderbird"),
                os.path.join(home, "Library", "Thunderbird")]
    appdata = env.get("APPDATA")
    if appdata:
        tb_bases.append(os.path.join(appdata, "Thunderbird"))
    for base in tb_bases:
        for profile in _thunderbird_profiles(base):
            for sub in ("Mail", "ImapMail"):
                for account in sorted(_listdirs(os.path.join(profile, sub))):
                    yield ("thunderbird", account,
                           f"Thunderbird {os.path.basename(profile)} › {'Local' if sub == 'Mail' else 'IMAP'} › "
                           f"{os.path.basename(account)}")
    yield "evolution", os.path.join(home, ".local", "share", "evolution", "mail", "local"), "Evolution (On This Computer)"
    yield "kmail", os.path.join(home, ".local", "share", "local-mail"), "KMail local folders"
    notmuch = _notmuch_path(home, env)
    if notmuch:
        yield "notmuch", notmuch, "notmuch mail root"
    for name in ("Maildir", "mail", "Mail", ".mail"):
        yield "maildir", os.path.join(home, name), f"~/{name}"
    apple = os.path.join(home, "Library", "Mail")
    for version in sorted(_listdirs(apple)):
        if os.path.basename(version).startswith("V"):
            yield "apple-mail", version, f"Apple Mail {os.path.basename(version)}"


def _listdirs(path: str) -> list[str]:
    try:
        return [os.path.join(path, n) for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))]
    except OSError:
        return []


def discover_stores(home: str | None = None, env: dict[str, str] | None = None) -> list[MailStore]:
    """Every local mail store found (nothing is indexed or changed). `home`/`env` default to the real ones."""
    env = dict(os.environ if env is None else env)
    home = home or env.get("HOME") or os.path.expanduser("~")
    stores: list[MailStore] = []
    seen: set[str] = set()
    for kind, path, label in _candidates(home, env):
        real = os.path.realpath(path)
        if real in seen or not os.path.isdir(path) or any(real.startswith(s + os.sep) for s in seen):
            continue
        tally = _walk_store(path)
        if not tally.messages and not tally.folders:
            continue
        seen.add(real)
        if kind == "maildir" and not any(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new")):
            kind = "mbox" if tally.folders and not _has_maildir(path) else kind
        stores.append(MailStore(kind=kind, path=path, label=label, folders=tally.folders, messages=tally.messages,
                                size_bytes=tally.size, estimated=tally.estimated))
    return stores


def _has_maildir(path: str) -> bool:
    for _dirpath, dirnames, _ in os.walk(path):
        if "cur" in dirnames and "new" in dirnames:
            return True
    return False
