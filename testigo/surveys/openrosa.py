"""OpenRosa 1.0 for ODK Collect: formList, form download, manifest, HEAD pre-flight, submission.

Two ways in, as ODK Central offers them:
- a per-device app token in the URL: /odk/<token>/formList, /odk/<token>/submission, ...
- HTTP Basic with a staff account (HTTPS only): /odk/formList, /odk/submission, ...
Views stay thin: authentication and protocol framing here, storage in submissions.receive().
"""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from email.utils import formatdate
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from testigo.core import auth as login_throttle
from testigo.core import roles
from testigo.surveys import selectors, submissions
from testigo.surveys.models import Device
from testigo.surveys.services import hash_token

OPENROSA_VERSION = "1.0"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
LAST_SEEN_GRANULARITY = timedelta(minutes=1)


def max_body() -> int:
    return settings.OPENROSA_MAX_BODY_MB * 1024 * 1024


def _headers(response: HttpResponse, request: HttpRequest | None = None) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    # OpenRosa requires Date. gunicorn always writes its own, so a second one would make the
    # header appear twice; other servers (runserver, uWSGI, tests) may not write it.
    if request is not None and request.META.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        if "Date" in response:
            del response["Date"]
    else:
        response["Date"] = formatdate(usegmt=True)
    response["X-OpenRosa-Accept-Content-Length"] = str(max_body())
    return response


def envelope(message: str, status: int) -> HttpResponse:
    nature = "submit_success" if status in (201, 202) else "error"
    body = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
            f'<message nature="{nature}">{escape(message)}</message></OpenRosaResponse>')
    response = HttpResponse(body, status=status, content_type=XML_CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Testigo", charset="UTF-8"'
    return _headers(response)


class Client:
    """Who is talking: a device (token) or a staff user (Basic)."""

    def __init__(self, device: Device | None = None, user=None, base: str = ""):
        self.device, self.user, self.base = device, user, base


def _by_token(request: HttpRequest, token: str) -> Client | None:
    device = Device.objects.filter(token_hash=hash_token(token), revoked_at__isnull=True).first()
    if device is None:
        return None
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_GRANULARITY:
        # Once a minute is precise enough, and spares a database write on every request.
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return Client(device=device, base=request.build_absolute_uri(f"/odk/{token}/"))


def _by_basic(request: HttpRequest) -> Client | HttpResponse | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    if not (request.is_secure() or settings.OPENROSA_ALLOW_BASIC_OVER_HTTP):
        # The password just crossed the network in clear text; refuse so the setup gets fixed.
        return envelope(_("HTTP Basic authentication is only accepted over HTTPS."), 403)
    try:
        username, _sep, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    try:
        login_throttle.check_not_locked(username=username)
    except login_throttle.LoginLocked as exc:
        return envelope(str(exc), 403)
    user = authenticate(request, username=username, password=password)
    if user is None or not roles.can(user, roles.VIEW):
        login_throttle.record_failure(username=username)
        return None
    login_throttle.record_success(username=username)
    return Client(user=user, base=request.build_absolute_uri("/odk/"))


def openrosa_view(methods: list[str]):
    """Authenticate (token from the URL, else Basic) and frame the response the OpenRosa way."""

    def decorate(view):
        @csrf_exempt  # phones post without cookies; they authenticate every request instead
        @require_http_methods(methods)
        def wrapper(request: HttpRequest, *args, token: str | None = None, **kwargs):
            client = _by_token(request, token) if token is not None else _by_basic(request)
            if isinstance(client, HttpResponse):
                response = client
            elif client is None:
                response = envelope(_("Authentication is required: check the server URL or the account."), 401)
            else:
                response = view(request, client, *args, **kwargs)
            return _headers(response, request)

        return wrapper

    return decorate


@openrosa_view(["GET", "HEAD"])
def form_list(request: HttpRequest, client: Client) -> HttpResponse:
    forms = selectors.open_surveys()
    if request.GET.get("formID"):
        forms = forms.filter(form_id=request.GET["formID"])
    items = []
    for survey in forms:
        items.append(
            "<xform>"
            f"<formID>{escape(survey.form_id)}</formID><name>{escape(survey.name)}</name>"
            f"<version>{survey.version}</version><hash>md5:{survey.xform_md5}</hash>"
            f"<downloadUrl>{escape(client.base)}forms/{escape(survey.form_id)}/form.xml</downloadUrl>"
            f"<manifestUrl>{escape(client.base)}forms/{escape(survey.form_id)}/manifest</manifestUrl>"
            "</xform>")
    body = '<?xml version="1.0" encoding="UTF-8"?><xforms xmlns="http://openrosa.org/xforms/xformsList">' \
           + "".join(items) + "</xforms>"
    return HttpResponse(body, content_type=XML_CONTENT_TYPE)


@openrosa_view(["GET", "HEAD"])
def form_xml(request: HttpRequest, client: Client, form_id: str) -> HttpResponse:
    survey = get_object_or_404(selectors.open_surveys(), form_id=form_id)
    response = HttpResponse(survey.xform, content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename={quoteattr(form_id + '.xml')}"
    return response


@openrosa_view(["GET", "HEAD"])
def manifest(request: HttpRequest, client: Client, form_id: str) -> HttpResponse:
    """The form's media files (images, audio, CSVs an admin attached), each with its md5 so the
    phone downloads only what changed."""
    survey = get_object_or_404(selectors.open_surveys(), form_id=form_id)
    items = [
        "<mediaFile>"
        f"<filename>{escape(name)}</filename><hash>md5:{md5}</hash>"
        f"<downloadUrl>{escape(client.base)}forms/{escape(survey.form_id)}/media/{escape(quote(name))}</downloadUrl>"
        "</mediaFile>"
        for name, md5 in survey.media_files.values_list("name", "md5")]
    body = ('<?xml version="1.0" encoding="UTF-8"?><manifest xmlns="http://openrosa.org/xforms/xformsManifest">'
            + "".join(items) + "</manifest>")
    return HttpResponse(body, content_type=XML_CONTENT_TYPE)


@openrosa_view(["GET", "HEAD"])
def media_file(request: HttpRequest, client: Client, form_id: str, name: str) -> HttpResponse:
    survey = get_object_or_404(selectors.open_surveys(), form_id=form_id)
    media = get_object_or_404(survey.media_files, name=name)
    response = HttpResponse(bytes(media.data), content_type=media.content_type)
    response["Content-Disposition"] = f"attachment; filename={quoteattr(media.name)}"
    response["ETag"] = f'"{media.md5}"'
    return response


@openrosa_view(["HEAD", "POST"])
def submission(request: HttpRequest, client: Client) -> HttpResponse:
    if request.method == "HEAD":
        return HttpResponse(status=204)  # ODK Collect requires 204 to the pre-flight
    too_big = _read_body(request)
    if too_big is not None:
        return too_big
    xml_file = request.FILES.get("xml_submission_file")
    if xml_file is None and request.POST.get("xml_submission_file"):  # sent as a plain field
        xml_file = io.BytesIO(request.POST["xml_submission_file"].encode("utf-8"))
    if xml_file is None:
        submissions.keep_rejected(reason="no xml_submission_file part", body=b"", device=client.device)
        return envelope(_("The POST has no xml_submission_file part."), 400)
    files = {f.name: (f.read(), f.content_type or "") for key, f in request.FILES.items()
             if key != "xml_submission_file"}
    outcome = submissions.receive(survey_for=selectors.submittable_survey, xml=xml_file.read(), files=files,
                                  device=client.device, actor=client.user)
    return envelope(outcome.message, outcome.status)


def _read_body(request: HttpRequest) -> HttpResponse | None:
    """Refuse bodies over the limit (413), and read chunked bodies, which Django cannot parse
    by itself because they arrive without a Content-Length."""
    limit = max_body()
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        return _too_large(limit)
    if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = request.environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _too_large(limit)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._body, request._stream = body, io.BytesIO(body)
    return None


def _too_large(limit: int) -> HttpResponse:
    return envelope(_("The submission is larger than the %(mb)s MB this server accepts.")
                    % {"mb": limit // (1024 * 1024)}, 413)
