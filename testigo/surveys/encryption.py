"""Encrypted ODK forms: keys, the passphrase-wrapped private key, and decrypting submissions.

The scheme is ODK's (xforms-spec "Encryption"; Collect's EncryptionUtils):
- the XForm carries the survey's RSA public key (`base64RsaPublicKey`);
- per record, the phone picks a random 256-bit AES key, wraps it with RSA-OAEP (SHA-256 and
  MGF1-SHA-256), and encrypts each media file and then the XML with AES-256-CFB (128-bit
  feedback) and PKCS#7 padding;
- the IV of the i-th file is MD5(instanceID ‖ aesKey) with byte i mod 16 incremented, cumulatively;
- the signature is RSA-OAEP(MD5(formId, version, base64EncryptedKey, instanceID, then
  "name::md5hex(plaintext)" per file, each followed by "\\n")).

The private key never touches disk unwrapped: it is sealed with a key derived from a passphrase
staff type in (argon2id, then a NaCl SecretBox). The passphrase is never stored.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import nacl.pwhash
import nacl.secret
import nacl.utils
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from django.utils.translation import gettext as _

try:  # cryptography >= 45 moved CFB to "decrepit"; ODK still uses it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

RSA_BITS = 2048  # what ODK Central generates; Collect accepts any size
# argon2id "moderate": ~256 MiB and a fraction of a second per unwrap; a stolen database then
# costs an attacker that much per passphrase guess.
KDF_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
KDF_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
MIN_PASSPHRASE = 12
SUBMISSIONS_NS = "http://opendatakit.org/submissions"
OPENROSA_NS = "http://openrosa.org/xforms"


class DecryptionError(Exception):
    """The key, the passphrase or the submission is wrong; the message is translated."""


class FileNotArrived(DecryptionError):
    """An encrypted attachment is still to come (phones may send it in a later POST)."""


def _oaep() -> OAEP:
    return OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def new_key_pair() -> tuple[str, bytes]:
    """(base64 DER SubjectPublicKeyInfo for the XForm, PKCS#8 DER private key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return base64.b64encode(public).decode(), private


def wrap_private_key(private_der: bytes, passphrase: str) -> dict:
    if len(passphrase) < MIN_PASSPHRASE:
        raise DecryptionError(_("The passphrase needs at least %(n)s characters.") % {"n": MIN_PASSPHRASE})
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_derive(passphrase, salt, KDF_OPSLIMIT, KDF_MEMLIMIT))
    return {"kdf": "argon2id", "salt": base64.b64encode(salt).decode(), "opslimit": KDF_OPSLIMIT,
            "memlimit": KDF_MEMLIMIT, "box": base64.b64encode(box.encrypt(private_der)).decode()}


def unwrap_private_key(wrapped: dict, passphrase: str) -> rsa.RSAPrivateKey:
    import nacl.exceptions

    salt = base64.b64decode(wrapped["salt"])
    box = nacl.secret.SecretBox(_derive(passphrase, salt, wrapped["opslimit"], wrapped["memlimit"]))
    try:
        der = box.decrypt(base64.b64decode(wrapped["box"]))
    except nacl.exceptions.CryptoError:
        raise DecryptionError(_("The passphrase is not correct.")) from None
    return serialization.load_der_private_key(der, password=None)


def load_form_private_key(data: bytes, *, public_key_b64: str, password: str = "") -> rsa.RSAPrivateKey:
    """The private key (PEM or DER, as openssl or ODK's guide writes it) of an uploaded XLSForm's
    own `public_key`. Used for one decryption and never stored: refused unless it is the key
    that pairs with the form's public key."""
    loaders = (serialization.load_pem_private_key, serialization.load_der_private_key)
    key = None
    for load in loaders:
        try:
            key = load(data, password=password.encode("utf-8") or None)
            break
        except (ValueError, TypeError):
            continue
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionError(_("This file is not an RSA private key (PEM or DER), or its password is wrong."))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if base64.b64encode(public).decode() != "".join(public_key_b64.split()):
        raise DecryptionError(_("This private key does not belong to the form: its public key differs from the "
                                "public_key in the form's settings sheet."))
    return key


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                    opslimit=opslimit, memlimit=memlimit)


@dataclass
class EncryptedManifest:
    form_id: str
    version: str | None
    instance_id: str
    encrypted_key: str  # base64
    media: list[str]  # encrypted file names, in encryption order
    xml_file: str
    signature: str  # base64, may be empty


def read_manifest(root) -> EncryptedManifest:
    """Read the submission manifest Collect posts for an encrypted form (an ElementTree root)."""
    ns = {"s": SUBMISSIONS_NS, "orx": OPENROSA_NS}

    def text(path: str) -> str:
        node = root.find(path, ns)
        return (node.text or "").strip() if node is not None else ""

    manifest = EncryptedManifest(
        form_id=root.get("id", ""), version=root.get("version"),
        instance_id=text("orx:meta/orx:instanceID") or text("s:meta/s:instanceID"),
        encrypted_key=text("s:base64EncryptedKey"),
        media=[(n.text or "").strip() for n in root.findall("s:media/s:file", ns)],
        xml_file=text("s:encryptedXmlFile"), signature=text("s:base64EncryptedElementSignature"),
    )
    if not (manifest.instance_id and manifest.encrypted_key and manifest.xml_file):
        raise DecryptionError(_("The encrypted submission lacks its key, its instance id or its XML file."))
    return manifest


def iv_for(seed: bytes, index: int) -> bytes:
    """The IV of the index-th encrypted file (0-based, in encryption order)."""
    iv = bytearray(seed)
    for i in range(index + 1):
        iv[i % 16] = (iv[i % 16] + 1) % 256
    return bytes(iv)


def decrypt_submission(*, key: rsa.RSAPrivateKey, manifest: EncryptedManifest,
                       files: dict[str, bytes]) -> tuple[bytes, dict[str, bytes]]:
    """(plaintext XML, {media name: plaintext}); checks the signature when one is present."""
    try:
        aes_key = key.decrypt(base64.b64decode(manifest.encrypted_key), _oaep())
    except ValueError:
        raise DecryptionError(_("The submission's key cannot be decrypted with this survey's key.")) from None
    seed = hashlib.md5(manifest.instance_id.encode("utf-8") + aes_key).digest()
    plain: dict[str, bytes] = {}
    for index, name in enumerate([*manifest.media, manifest.xml_file]):
        if name not in files:
            raise FileNotArrived(_("The encrypted file “%(name)s” has not arrived.") % {"name": name})
        plain[name.removesuffix(".enc")] = _aes_decrypt(aes_key, iv_for(seed, index), files[name])
    xml = plain.pop(manifest.xml_file.removesuffix(".enc"))
    if manifest.signature:
        _check_signature(key, manifest, plain, xml)
    return xml, plain


def _aes_decrypt(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError(_("An encrypted file is damaged (bad padding).")) from None


def signature_digest(manifest: EncryptedManifest, media: dict[str, bytes], xml: bytes) -> bytes:
    parts = [manifest.form_id]
    if manifest.version:
        parts.append(manifest.version)
    parts += [manifest.encrypted_key, manifest.instance_id]
    for name in manifest.media:
        plain_name = name.removesuffix(".enc")
        parts.append(f"{plain_name}::{hashlib.md5(media[plain_name]).hexdigest()}")
    xml_name = manifest.xml_file.removesuffix(".enc")
    parts.append(f"{xml_name}::{hashlib.md5(xml).hexdigest()}")
    return hashlib.md5(("\n".join(parts) + "\n").encode("utf-8")).digest()


def _check_signature(key, manifest: EncryptedManifest, media: dict[str, bytes], xml: bytes) -> None:
    try:
        signed = key.decrypt(base64.b64decode(manifest.signature), _oaep())
    except ValueError:
        signed = b""
    if signed != signature_digest(manifest, media, xml):
        raise DecryptionError(_("The submission's signature does not match: it was altered."))
