"""Encrypted forms: submissions built here with `cryptography` exactly as ODK Collect builds them
(independently of Testigo's code), posted over OpenRosa, decrypted with the staff passphrase."""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testigo.reports.models import Report
from testigo.surveys import encryption, services, submissions
from testigo.surveys.models import Submission

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
PASSPHRASE = "caballo correcto batería grapa"
OAEP_SHA256 = OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def collect_encrypt(*, public_key_b64: str, form_id: str, version: str, instance_id: str, xml: bytes,
                    media: dict[str, bytes]) -> tuple[bytes, dict[str, bytes]]:
    """What ODK Collect posts for an encrypted form: (manifest XML, {name.enc: ciphertext})."""
    public_key = serialization.load_der_public_key(base64.b64decode(public_key_b64))
    aes_key = os.urandom(32)
    wrapped = base64.b64encode(public_key.encrypt(aes_key, OAEP_SHA256)).decode()
    seed = bytearray(hashlib.md5(instance_id.encode() + aes_key).digest())
    files, signature_parts = {}, [form_id, version, wrapped, instance_id]
    for name, data in [*media.items(), ("submission.xml", xml)]:
        index = len(files)
        seed[index % 16] = (seed[index % 16] + 1) % 256  # cumulative, one step per file
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(aes_key), CFB(bytes(seed))).encryptor()
        files[name + ".enc"] = encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()
        signature_parts.append(f"{name}::{hashlib.md5(data).hexdigest()}")
    digest = hashlib.md5(("\n".join(signature_parts) + "\n").encode()).digest()
    signature = base64.b64encode(public_key.encrypt(digest, OAEP_SHA256)).decode()
    media_xml = "".join(f"<media><file>{n}.enc</file></media>" for n in media)
    manifest = (f'<data xmlns="http://opendatakit.org/submissions" xmlns:orx="http://openrosa.org/xforms" '
                f'id="{form_id}" version="{version}" encrypted="yes"><base64EncryptedKey>{wrapped}'
                f'</base64EncryptedKey><orx:meta><orx:instanceID>{instance_id}</orx:instanceID></orx:meta>'
                f'{media_xml}<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>'
                f'<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>').encode()
    return manifest, files


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch):
    """argon2id at its minimum cost here; production uses "moderate" (stored with each key)."""
    import nacl.pwhash

    monkeypatch.setattr(encryption, "KDF_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(encryption, "KDF_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


@pytest.fixture
def encrypted_survey(survey, admin_user):
    return services.enable_encryption(actor=admin_user, survey=survey, passphrase=PASSPHRASE)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "JPEG")
    return out.getvalue()


def plain_xml(survey, instance_id: str) -> bytes:
    return (f'<data id="{survey.form_id}" version="{survey.version}"><titulo>Secreto</titulo><arma>no</arma>'
            f'<lugar>14.1 -87.2 0 5</lugar><foto>f.jpg</foto><meta><instanceID>{instance_id}</instanceID></meta>'
            "</data>").encode()


def post_encrypted(client, token, survey, instance_id="uuid:e1", tamper=False, skip=()):
    manifest, files = collect_encrypt(public_key_b64=survey.public_key, form_id=survey.form_id,
                                      version=str(survey.version), instance_id=instance_id,
                                      xml=plain_xml(survey, instance_id), media={"f.jpg": jpeg()})
    if tamper:
        blob = bytearray(files["submission.xml.enc"])
        blob[5] ^= 0x01  # CFB: flips one plaintext bit, padding still valid
        files["submission.xml.enc"] = bytes(blob)
    data = {"xml_submission_file": SimpleUploadedFile("submission.xml", manifest, "text/xml")}
    data.update({n: SimpleUploadedFile(n, c, "application/octet-stream") for n, c in files.items() if n not in skip})
    return client.post(f"/odk/{token}/submission", data)


def test_xform_carries_the_public_key(encrypted_survey):
    assert f'base64RsaPublicKey="{encrypted_survey.public_key}"' in encrypted_survey.xform
    assert encrypted_survey.wrapped_private_key["kdf"] == "argon2id"
    assert encrypted_survey.wrapped_private_key["opslimit"] == 1  # the cost is stored with the key
    assert PASSPHRASE not in str(encrypted_survey.wrapped_private_key)


def test_encrypted_submission_waits_then_decrypts_into_a_report(client, encrypted_survey, device_token, admin_user):
    assert post_encrypted(client, device_token, encrypted_survey).status_code == 201
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.ENCRYPTED and not Report.objects.exists()
    done, failed = submissions.decrypt_pending(survey=encrypted_survey, passphrase=PASSPHRASE, actor=admin_user)
    assert (done, failed) == (1, 0)
    report = Report.objects.get()
    assert report.custom_values["titulo"] == "Secreto" and (report.lat, report.lon) == (14.1, -87.2)
    assert report.media.count() == 1  # the decrypted photo, sanitised


def test_attachment_arriving_later_is_waited_for(client, encrypted_survey, device_token, admin_user):
    post_encrypted(client, device_token, encrypted_survey, skip={"f.jpg.enc"})
    assert submissions.decrypt_pending(survey=encrypted_survey, passphrase=PASSPHRASE, actor=admin_user) == (0, 0)
    assert Submission.objects.get().status == Submission.Status.ENCRYPTED


def test_tampered_submission_is_rejected_by_its_signature(client, encrypted_survey, device_token, admin_user):
    post_encrypted(client, device_token, encrypted_survey, tamper=True)
    done, failed = submissions.decrypt_pending(survey=encrypted_survey, passphrase=PASSPHRASE, actor=admin_user)
    assert (done, failed) == (0, 1)
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.REJECTED and "signature" in submission.error
    assert not Report.objects.exists()


def test_wrong_passphrase_decrypts_nothing(client, encrypted_survey, device_token, admin_user):
    post_encrypted(client, device_token, encrypted_survey)
    with pytest.raises(encryption.DecryptionError):
        submissions.decrypt_pending(survey=encrypted_survey, passphrase="not the passphrase", actor=admin_user)
    assert Submission.objects.get().status == Submission.Status.ENCRYPTED


def test_plain_submission_to_an_encrypted_form_is_refused(client, encrypted_survey, device_token):
    xml = plain_xml(encrypted_survey, "uuid:p")
    response = client.post(f"/odk/{device_token}/submission",
                           {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})
    assert response.status_code == 400 and not Submission.objects.exists()


def test_iv_derivation_matches_the_spec():
    seed = bytes(range(16))
    assert encryption.iv_for(seed, 0) == bytes([1]) + bytes(range(1, 16))
    assert encryption.iv_for(seed, 16)[0] == 2 and encryption.iv_for(seed, 16)[1] == 2


def test_short_passphrase_is_refused(survey, admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.enable_encryption(actor=admin_user, survey=survey, passphrase="short")
