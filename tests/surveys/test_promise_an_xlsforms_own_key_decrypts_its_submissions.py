"""An uploaded XLSForm with its own `public_key` (as KoboToolbox and ODK Central users set it):
phones encrypt, Testigo keeps the submissions encrypted, and the form author's private key, given
once in the console, decrypts them into reports. The key must pair with the form's public key, and
it is never stored."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.core.models import AuditEvent
from testigo.surveys import services
from testigo.surveys.models import Submission, Survey
from tests.surveys.conftest import write_xlsx
from tests.surveys.test_encryption import collect_encrypt, jpeg

pytestmark = pytest.mark.usefixtures("english")


def key_pair(password: bytes | None = None) -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, encryption)
    return base64.b64encode(public).decode(), pem


def form(public_key: str) -> bytes:
    return write_xlsx({"survey": [["type", "name", "label"], ["text", "relato", "Relato"], ["image", "foto", "Foto"]],
                       "settings": [["form_title", "form_id", "version", "public_key"],
                                    ["Denuncias cifradas", "cifradas", "3", public_key]]})


def post(client, token, public_key: str, instance_id: str):
    xml = (f'<data id="cifradas" version="3"><relato>Amenazas al comité</relato><foto>f.jpg</foto>'
           f"<meta><instanceID>{instance_id}</instanceID></meta></data>").encode()
    manifest, files = collect_encrypt(public_key_b64=public_key, form_id="cifradas", version="3",
                                      instance_id=instance_id, xml=xml, media={"f.jpg": jpeg()})
    data = {"xml_submission_file": SimpleUploadedFile("submission.xml", manifest, "text/xml")}
    data.update({n: SimpleUploadedFile(n, c, "application/octet-stream") for n, c in files.items()})
    return client.post(f"/odk/{token}/submission", data)


def test_the_forms_own_key_decrypts_and_is_never_kept(admin_user, admin_client, client, device_token):
    public_key, pem = key_pair(b"clave del comite")
    survey = services.import_xlsform(actor=admin_user, data=form(public_key), filename="cifradas.xlsx")
    assert survey.encrypted and survey.public_key == public_key and survey.wrapped_private_key == {}
    assert post(client, device_token, public_key, "uuid:k1").status_code == 201
    assert Submission.objects.get().status == Submission.Status.ENCRYPTED

    page = f"/console/surveys/{survey.pk}/encryption/"
    _other_public, other_pem = key_pair()
    refused = admin_client.post(page, {"action": "decrypt_key", "key-key": SimpleUploadedFile("otra.pem", other_pem)})
    assert refused.status_code == 200 and "does not belong to the form" in refused.content.decode()
    wrong_password = admin_client.post(page, {"action": "decrypt_key", "key-password": "no es",
                                              "key-key": SimpleUploadedFile("k.pem", pem)})
    assert "password is wrong" in wrong_password.content.decode()
    assert Submission.objects.get().status == Submission.Status.ENCRYPTED

    done = admin_client.post(page, {"action": "decrypt_key", "key-password": "clave del comite",
                                    "key-key": SimpleUploadedFile("k.pem", pem)})
    assert done.status_code == 302
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.STORED and submission.data["relato"] == "Amenazas al comité"
    assert submission.report.custom_values["relato"] == "Amenazas al comité" and submission.report.media.count() == 1
    survey = Survey.objects.get()
    assert survey.wrapped_private_key == {}
    stored = str(AuditEvent.objects.filter(action="survey.decrypted").values_list("data", flat=True)[0])
    assert "PRIVATE KEY" not in stored and "clave del comite" not in stored
