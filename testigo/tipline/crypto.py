"""The tip line's cryptography, in one module you can audit in one sitting.

Primitives (libsodium through PyNaCl, the same as GlobaLeaks):
- SealedBox (X25519 + XSalsa20-Poly1305) seals each tip's symmetric key to the organisation's
  public key, so the web server can *write* tips without being able to *read* them.
- SecretBox (XSalsa20-Poly1305) encrypts tip content under that per-tip key, and wraps the
  organisation's private key under password-derived keys and the recovery key.
- Argon2id derives the wrapping key from a staff password. The parameters below are stored
  with every wrap, so raising them later does not lock anyone out.
- BLAKE2b (keyed, with a purpose string) derives, from a new organisation key during a key
  rotation, the key that wraps the retiring one (`retiring_key`).
- Shamir's secret sharing, as SLIP-0039 (the `shamir-mnemonic` reference implementation):
  the recovery key can be split into n shares of which any k recover it; each share is a line of
  33 words with a Reed-Solomon checksum, so a typo is caught before anything is tried.
- Padding (libsodium's ISO/IEC 7816-4 pad to a Padmé length) hides a file's exact size, so the
  size of its ciphertext on disk cannot confirm which known file a source sent.
"""

from __future__ import annotations

import base64
import secrets

import nacl.bindings
import nacl.encoding
import nacl.hash
import nacl.pwhash
import nacl.utils
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from shamir_mnemonic import MnemonicError, combine_mnemonics, generate_mnemonics
from shamir_mnemonic.share import Share

# Argon2id for password-derived wrapping keys. OPSLIMIT_MODERATE/MEMLIMIT_MODERATE (3 passes over
# 256 MiB) costs ~1.5 s on a small server: paid once per staff login, but an attacker who seized
# the database pays it for every password guess. Tests may lower these (never in production).
ARGON2_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
ARGON2_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
KEY_BYTES = SecretBox.KEY_SIZE  # 32
# Every padded plaintext is at least this long: all small files (and file names) look alike.
PAD_MIN_BYTES = 4096
# The recovery key: 32 random bytes shown once as base32 groups, enough entropy that no KDF is needed.
RECOVERY_GROUP = 4


class VaultLocked(Exception):
    """Raised when the organisation key is needed but not available in this request."""


def new_keypair() -> tuple[bytes, bytes]:
    """Return (private, public) raw 32-byte X25519 keys."""
    private = PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def random_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def random_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)


def password_key(password: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(KEY_BYTES, password.encode("utf-8"), salt,
                                    opslimit=opslimit, memlimit=memlimit)


def wrap(key: bytes, secret: bytes) -> bytes:
    """Encrypt `secret` under the symmetric `key` (random nonce prepended)."""
    return bytes(SecretBox(key).encrypt(secret))


def unwrap(key: bytes, wrapped: bytes) -> bytes:
    """Decrypt what wrap() produced; raises CryptoError when the key is wrong or data altered."""
    return SecretBox(key).decrypt(bytes(wrapped))


def padded_length(size: int) -> int:
    """The Padmé length for `size` bytes plus the pad marker (Nikitin et al., "Reducing metadata
    leakage from encrypted files and communication with PURBs", PETS 2019): at most ~12% larger,
    and a padded length says only O(log log n) bits about the size it hides."""
    length = max(size + 1, PAD_MIN_BYTES)  # +1: the pad always adds its 0x80 marker byte
    exponent = length.bit_length() - 1
    mask = (1 << (exponent - exponent.bit_length())) - 1
    return (length + mask) & ~mask


def pad(data: bytes) -> bytes:
    return nacl.bindings.sodium_pad(bytes(data), padded_length(len(data)))


def unpad(padded: bytes) -> bytes:
    return nacl.bindings.sodium_unpad(bytes(padded), len(padded))


def seal_to(public_key: bytes, secret: bytes) -> bytes:
    return SealedBox(PublicKey(bytes(public_key))).encrypt(secret)


def open_sealed(private_key: bytes, sealed: bytes) -> bytes:
    return SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(sealed))


def public_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(bytes(private_key)).public_key)


def new_recovery_key() -> tuple[bytes, str]:
    """Return the raw recovery key and its printable form (base32 in groups of four)."""
    raw = secrets.token_bytes(KEY_BYTES)
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return raw, "-".join(text[i:i + RECOVERY_GROUP] for i in range(0, len(text), RECOVERY_GROUP))


def parse_recovery_key(text: str) -> bytes:
    """Accept the printed form with any spacing, dashes or case; raise ValueError if malformed."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    padded = cleaned + "=" * (-len(cleaned) % 8)
    raw = base64.b32decode(padded)
    if len(raw) != KEY_BYTES:
        raise ValueError("wrong length")
    return raw


def retiring_key(new_private: bytes) -> bytes:
    """The key that wraps the previous organisation key while a rotation re-seals tips: derived
    from the new private key, so only its holders reach the old one (never the other way)."""
    return nacl.hash.blake2b(b"testigo tipline retiring key", key=bytes(new_private), digest_size=KEY_BYTES,
                             encoder=nacl.encoding.RawEncoder)


# --- Shamir shares of the recovery key (SLIP-0039) ------------------------------------------------

SHARES_MIN, SHARES_MAX = 2, 10


class ShareError(ValueError):
    """A set of typed shares that cannot give the recovery key. `code` says why, precisely:
    unreadable (share `number` has an unknown word or a wrong checksum: a typo), duplicate (share
    `number` repeats share `other`), other_split (share `number` belongs to another split),
    too_few (`need` shares are needed, `given` were given), mismatch (they do not combine)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def split_recovery_key(raw: bytes, *, threshold: int, count: int) -> tuple[list[str], int]:
    """Split the recovery key into `count` printable shares, any `threshold` of which recover it.
    Returns the shares and the split's identifier (15 bits, not secret)."""
    if not SHARES_MIN <= threshold <= count <= SHARES_MAX:
        raise ValueError("need 2 <= threshold <= count <= 10")
    (shares,) = generate_mnemonics(1, [(threshold, count)], bytes(raw), extendable=False, iteration_exponent=0)
    return shares, Share.from_mnemonic(shares[0]).identifier


def normalise_share(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def combine_shares(texts: list[str], *, split_id: int | None = None, threshold: int | None = None,
                   passphrase: bytes = b"") -> bytes:
    """The recovery key from typed shares; ShareError with a precise reason otherwise.
    `split_id`/`threshold`, when known (the vault stores them), make the errors sharper.
    Testigo's shares have no SLIP-0039 passphrase (the published test vectors use "TREZOR")."""
    shares, seen = [], {}
    for number, text in enumerate(texts, start=1):  # numbered as entered: blanks keep their place
        if not text.strip():
            continue
        mnemonic = normalise_share(text)
        try:
            share = Share.from_mnemonic(mnemonic)
        except MnemonicError:
            raise ShareError("unreadable", number=number) from None
        if share.index in seen:
            raise ShareError("duplicate", number=number, other=seen[share.index])
        reference = split_id if split_id is not None else (shares[0][1].identifier if shares else share.identifier)
        if share.identifier != reference:
            raise ShareError("other_split", number=number)
        seen[share.index] = number
        shares.append((mnemonic, share))
    need = threshold or (shares[0][1].member_threshold if shares else SHARES_MIN)
    if len(shares) < need:
        raise ShareError("too_few", need=need, given=len(shares))
    try:
        return combine_mnemonics([mnemonic for mnemonic, _share in shares[:need]], passphrase)
    except MnemonicError:
        raise ShareError("mismatch") from None


__all__ = ["CryptoError", "VaultLocked", "ShareError"]
