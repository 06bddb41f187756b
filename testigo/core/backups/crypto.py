"""The archive's encryption: libsodium's secretstream (XChaCha20-Poly1305) over 1 MiB chunks.

Layout of a file:

    MAGIC (16 bytes) | mode (1 byte: P or K) | mode parameters | key check (32) | stream header (24)
    then chunks, each: length (4 bytes, big-endian) | ciphertext (length bytes)

- Mode P (passphrase): salt (16) | opslimit (8) | memlimit (8); the file key is Argon2id of the
  passphrase. The parameters travel in the file, so raising them later keeps old archives readable.
- Mode K (public key): recipient's X25519 public key (32) | the file key sealed to it (80). Whoever
  holds the archive and the public key (the server, the backup host) cannot read it.

The key check (BLAKE2b keyed with the file key) tells a wrong passphrase or key apart from a
damaged file. Every chunk is authenticated together with the whole preamble, so a changed byte
anywhere is found; the last chunk carries the stream's FINAL tag, so a cut file is found too.
Nothing is ever held in memory beyond one chunk.
"""

from __future__ import annotations

import base64
import hashlib
import struct

import nacl.bindings as sodium
import nacl.pwhash
import nacl.utils
from django.utils.translation import gettext as _
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

MAGIC = b"TESTIGO-BACKUP\x00\x01"
CHUNK = 1 << 20
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
SEALED_KEY_BYTES = KEY_BYTES + 48
# Same cost as the tip line's staff keys (3 passes over 256 MiB): paid once per backup or restore,
# and by an attacker who took an archive for every passphrase guess. Tests may lower these.
ARGON2_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
ARGON2_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class BackupError(Exception):
    """A backup that cannot be made, read or restored; the message says why, for a person."""


class WrongKey(BackupError):
    pass


class Damaged(BackupError):
    pass


class Key:
    """What opens (or makes) an archive: a passphrase, a public key to seal to, or a private key."""

    def __init__(self, *, passphrase: str | None = None, public_key: bytes | None = None,
                 private_key: bytes | None = None):
        if sum(x is not None for x in (passphrase, public_key, private_key)) != 1:
            raise BackupError(_("Give exactly one of a passphrase, a public key or a private key."))
        self.passphrase, self.public_key, self.private_key = passphrase, public_key, private_key


def new_keypair() -> tuple[str, str]:
    """(private, public) as base64 text, for `testigo backup --keygen`."""
    private = PrivateKey.generate()
    return base64.b64encode(bytes(private)).decode(), base64.b64encode(bytes(private.public_key)).decode()


def decode_key(text: str) -> bytes:
    """A key written as base64 (what --keygen prints); refuses anything that is not 32 bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BackupError(_("A backup key is 44 characters of base64 (32 bytes), as --keygen prints it."))
    return raw


def _key_check(file_key: bytes) -> bytes:
    return hashlib.blake2b(b"testigo backup key check", key=file_key, digest_size=32).digest()


def _passphrase_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(KEY_BYTES, passphrase.encode("utf-8"), salt, opslimit=opslimit,
                                    memlimit=memlimit)


class EncryptingWriter:
    """A write-only file object: buffers, encrypts and writes whole chunks to `raw`."""

    def __init__(self, raw, key: Key):
        if key.passphrase is not None:
            salt = nacl.utils.random(SALT_BYTES)
            file_key = _passphrase_key(key.passphrase, salt, ARGON2_OPSLIMIT, ARGON2_MEMLIMIT)
            params = b"P" + salt + struct.pack(">QQ", ARGON2_OPSLIMIT, ARGON2_MEMLIMIT)
        elif key.public_key is not None:
            file_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
            params = b"K" + key.public_key + SealedBox(PublicKey(key.public_key)).encrypt(file_key)
        else:
            raise BackupError(_("A backup is made with a passphrase or a public key, never a private key."))
        self._raw, self._buffer = raw, bytearray()
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, file_key)
        self._ad = MAGIC + params + _key_check(file_key)
        raw.write(self._ad + header)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back for the FINAL chunk
            self._push(bytes(self._buffer[:CHUNK]), _TAG_MESSAGE)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        """Write the last chunk, tagged FINAL: a reader that never sees it knows the file was cut."""
        self._push(bytes(self._buffer), _TAG_FINAL)
        self._buffer = bytearray()

    def _push(self, plain: bytes, tag: int) -> None:
        cipher = sodium.crypto_secretstream_xchacha20poly1305_push(self._state, plain, self._ad, tag)
        self._raw.write(struct.pack(">I", len(cipher)) + cipher)


class DecryptingReader:
    """A read-only file object over an archive; raises WrongKey or Damaged with a precise message."""

    def __init__(self, raw, key: Key):
        self._raw, self._chunk, self._pos, self._done, self._offset = raw, b"", 0, False, 0
        magic = self._take(len(MAGIC))
        if magic != MAGIC:
            raise Damaged(_("This is not a Testigo backup (or its first bytes are damaged)."))
        mode = self._take(1)
        if mode == b"P":
            params = self._take(SALT_BYTES + 16)
            if key.passphrase is None:
                raise WrongKey(_("This backup was made with a passphrase: give --passphrase-file."))
            opslimit, memlimit = struct.unpack(">QQ", params[SALT_BYTES:])
            if opslimit > 1 << 20 or memlimit > 1 << 34:
                raise Damaged(_("The backup's header is damaged (impossible key-derivation parameters)."))
            file_key = _passphrase_key(key.passphrase, params[:SALT_BYTES], opslimit, memlimit)
        elif mode == b"K":
            params = self._take(32 + SEALED_KEY_BYTES)
            if key.private_key is None:
                raise WrongKey(_("This backup was sealed to a public key: give --private-key."))
            file_key = self._unseal(params, key.private_key)
        else:
            raise Damaged(_("The backup's header is damaged (unknown encryption mode)."))
        check = self._take(32)
        if check != _key_check(file_key):
            raise WrongKey(_("Wrong passphrase or key for this backup (or its header is damaged)."))
        self._ad = MAGIC + mode + params + check
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(self._state, self._take(HEADER_BYTES), file_key)

    @staticmethod
    def _unseal(params: bytes, private_key: bytes) -> bytes:
        recipient, sealed = params[:32], params[32:]
        private = PrivateKey(private_key)
        if bytes(private.public_key) != recipient:
            raise WrongKey(_("This backup was sealed to another public key than the one of this private key."))
        try:
            return SealedBox(private).decrypt(sealed)
        except CryptoError:
            raise WrongKey(_("Wrong passphrase or key for this backup (or its header is damaged).")) from None

    def _take(self, n: int) -> bytes:
        data = self._raw.read(n)
        self._offset += len(data)
        if len(data) != n:
            raise Damaged(_("The backup is truncated: it ends at byte %(offset)s, before its end mark.")
                          % {"offset": self._offset})
        return data

    def _pull(self) -> None:
        at = self._offset
        (length,) = struct.unpack(">I", self._take(4))
        if not ABYTES <= length <= CHUNK + ABYTES:
            raise Damaged(_("The backup is damaged at byte %(offset)s (a chunk length is impossible).")
                          % {"offset": at})
        cipher = self._take(length)
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self._state, cipher, self._ad)
        except (CryptoError, RuntimeError):
            raise Damaged(_("The backup is damaged: the chunk at byte %(offset)s fails its authentication.")
                          % {"offset": at}) from None
        if tag == _TAG_FINAL:
            self._done = True
            if self._raw.read(1):
                raise Damaged(_("The backup has bytes after its end mark: it was changed after it was made."))
        self._chunk, self._pos = plain, 0

    def read(self, n: int = -1) -> bytes:
        parts, wanted = [], n
        while wanted != 0:
            if self._pos == len(self._chunk):
                if self._done:
                    break
                self._pull()
                continue
            end = len(self._chunk) if wanted < 0 else min(len(self._chunk), self._pos + wanted)
            parts.append(self._chunk[self._pos:end])
            wanted -= 0 if wanted < 0 else end - self._pos
            self._pos = end
        return b"".join(parts)
