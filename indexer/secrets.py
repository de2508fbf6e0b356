"""Files that hold secrets are not indexed unless the user allows it (`index_secrets`).

Why: an index is a searchable copy. A private key or a password export that becomes searchable (and quotable by the
assistant) is a leak waiting for a screenshot. Two checks, both cheap:
- by name: private keys and keystores (`id_rsa`, `*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.kdbx`...), `.env` files,
  shell/cloud credential files, and password-manager or browser password exports (`*password*.csv`, Bitwarden,
  LastPass, 1Password exports);
- by content: text that is mostly key material (PEM/OpenSSH/PGP private key blocks, or long base64/hex blobs), so a
  key pasted into `notes.txt` is caught too, while a note that merely mentions a key is not.
"""
from __future__ import annotations

import re

_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity"})
_KEY_EXTS = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".kdbx", ".kdb", ".gpg", ".asc", ".p8",
             ".der", ".agekey", ".keychain", ".keychain-db", ".psafe3", ".1pif", ".opvault")
_CREDENTIAL_NAMES = frozenset({".netrc", "_netrc", ".pgpass", ".git-credentials", "credentials", ".htpasswd",
                               ".npmrc", ".pypirc", "secring.gpg", "pubring.kbx", "key4.db", "logins.json",
                               "login data"})
_EXPORT = re.compile(r"(passwords?|passwörter|mots? de passe|contraseñas|bitwarden|lastpass|1password|keepass|"
                     r"dashlane|nordpass|enpass|roboform|logins?)[^/]*\.(csv|json|xml|1pux|1pif)$", re.I)

_PEM_PRIVATE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----")
_BLOB = re.compile(r"[A-Za-z0-9+/=_-]{40,}")
CONTENT_SAMPLE = 256 * 1024
SECRET = "looks like a secret"  # every reason starts so: such rows are read again once `index_secrets` is on


def secret_by_name(name: str) -> str | None:
    """The reason a file name looks like a secret, or None. `name` is the base name."""
    low = name.lower()
    if low in _KEY_NAMES or (low.startswith("id_") and not low.endswith(".pub") and low[3:] in
                             {"rsa", "dsa", "ecdsa", "ed25519"}):
        return "looks like a secret (private key)"
    if low.endswith(_KEY_EXTS):
        return "looks like a secret (private key or keystore)"
    if low == ".env" or low.startswith(".env.") or low.endswith(".env"):
        return "looks like a secret (.env file with credentials)"
    if low in _CREDENTIAL_NAMES:
        return "looks like a secret (credentials file)"
    if _EXPORT.search(low):
        return "looks like a secret (password export)"
    return None


def secret_by_content(text: str) -> str | None:
    """The reason a text looks like key material, or None: a private key block anywhere, or mostly PEM/base64/hex."""
    sample = text[:CONTENT_SAMPLE]
    if _PEM_PRIVATE.search(sample) or "-----BEGIN OPENSSH PRIVATE KEY-----" in sample \
            or "-----BEGIN PGP PRIVATE KEY BLOCK-----" in sample:
        return "looks like a secret (private key)"
    compact = len("".join(sample.split()))
    if compact < 200:
        return None
    keyish = sum(len("".join(m.group(0).split())) for m in _PEM_BLOCK.finditer(sample))
    rest = _PEM_BLOCK.sub(" ", sample)
    keyish += sum(len(m.group(0)) for m in _BLOB.finditer(rest) if _mixed(m.group(0)))
    if keyish > 0.6 * compact:
        return "looks like a secret (mostly key material)"
    return None


def _mixed(blob: str) -> bool:
    """A key blob mixes digits and letters; a long word or a row of dashes does not."""
    return any(c.isdigit() for c in blob) and any(c.isalpha() for c in blob)
