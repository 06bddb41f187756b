"""The source's pages: one cookie, nothing about the visitor kept, no JavaScript needed.

The one script (the proof of work on the first tip, proofofwork.py) is only needed while a
flood is under way; without JavaScript the tip line works whenever there is none."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from nacl.exceptions import CryptoError

from testigo.core.uploads import keep_uploads_in_memory
from testigo.tipline import selectors, services, vault
from testigo.tipline.forms import CodenameForm, MessageForm
from testigo.tipline.models import Tip
from testigo.tipline.proofofwork import Work, issue, required_bits

# csrf_exempt: Django's CSRF needs a second cookie. The tip pages check their own per-visit
# token, kept in the SameSite=Strict tip-line cookie (sourcesession.py), on every POST.
# A tip's files are held in memory only, never spooled to a temporary file (core/uploads.py):
# plaintext never touches the disk unencrypted.
memory_only = keep_uploads_in_memory(max_file_mb="TIP_MAX_FILE_MB", max_files="TIP_MAX_FILES", check_csrf=False)


def _bad_token(request) -> bool:
    return not request.tip_state.token_ok(request.POST.get("token"))


def _form_expired(request, template: str, context: dict, status: int = 400):
    context["expired"] = True
    return render(request, template, context, status=status)


def _files(request) -> list[tuple[str, bytes]]:
    return [(f.name, f.read()) for f in request.FILES.getlist("files")]


@memory_only
@csrf_exempt
@require_http_methods(["GET", "POST"])
def submit(request):
    form = MessageForm(request.POST or None, request.FILES or None)
    context = {"form": form, "open": vault.current() is not None, "state": request.tip_state,
               "retention_days": settings.TIP_RETENTION_DAYS, "work_needed": required_bits() > 0}
    if request.method == "POST":
        if _bad_token(request):
            return _with_script(_form_expired(request, "tipline/submit.html", context), context)
        if form.is_valid():
            try:
                access, codename = services.submit_tip(body=form.cleaned_data["body"], files=_files(request),
                                                       language=get_language() or "es", work=_work(request))
            except (ValidationError, services.Throttled) as error:
                form.add_error(None, getattr(error, "messages", [str(error)])[0])
            else:
                request.tip_state.log_in(access)
                request.tip_state.codename_once = codename
                return redirect("tipline:sent")
    return _with_script(render(request, "tipline/submit.html", context, status=400 if form.errors else 200), context)


def _work(request) -> Work | None:
    challenge, answer = request.POST.get("work_challenge", ""), request.POST.get("work_answer", "")
    return Work(challenge=challenge, answer=answer) if challenge else None


def _with_script(response, context: dict):
    # Only while work is asked does the page carry our script; the middleware then allows it
    # (and its fetch of a challenge) from this origin, on this page alone.
    response.tip_script = context["work_needed"]
    return response


@require_http_methods(["GET"])
def challenge(request):
    """A fresh proof-of-work challenge for the tip form's script (stateless: writes nothing)."""
    return JsonResponse(issue())


@require_http_methods(["GET"])
def sent(request):
    codename = request.tip_state.codename_once
    if not codename:
        return redirect("tipline:conversation" if request.tip_state.access else "tipline:submit")
    request.tip_state.codename_once = ""  # shown once: a reload does not show it again
    return render(request, "tipline/sent.html", {"codename": codename, "words": codename.split()})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request):
    form = CodenameForm(request.POST or None)
    context = {"form": form, "state": request.tip_state}
    if request.method == "POST":
        if _bad_token(request):
            return _form_expired(request, "tipline/login.html", context)
        if form.is_valid():
            try:
                access = services.source_login(codename=form.cleaned_data["codename"])
            except (ValidationError, services.Throttled) as error:
                form.add_error(None, getattr(error, "messages", [str(error)])[0])
            else:
                request.tip_state.log_in(access)
                return redirect("tipline:conversation")
    return render(request, "tipline/login.html", context, status=400 if form.errors else 200)


@memory_only
@csrf_exempt
@require_http_methods(["GET", "POST"])
def conversation(request):
    access = request.tip_state.access
    if access is None:
        return redirect("tipline:login")
    try:
        return _conversation(request, access)
    except (Tip.DoesNotExist, CryptoError):
        # The conversation was purged (retention) while the cookie lived on: start over.
        request.tip_state.log_out()
        return redirect("tipline:login")


def _conversation(request, access):
    form = MessageForm(request.POST or None, request.FILES or None)
    context = {"form": form, "state": request.tip_state}
    if request.method == "POST":
        if _bad_token(request):
            context["messages_list"] = selectors.conversation_for_source(access)
            return _form_expired(request, "tipline/conversation.html", context)
        if form.is_valid():
            try:
                services.source_message(access=access, body=form.cleaned_data["body"], files=_files(request))
            except ValidationError as error:
                form.add_error(None, error.messages[0])
            else:
                return redirect("tipline:conversation")
    context["messages_list"] = selectors.conversation_for_source(access)
    return render(request, "tipline/conversation.html", context, status=400 if form.errors else 200)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def logout(request):
    if request.method == "POST" and not _bad_token(request):
        request.tip_state.log_out()
        return render(request, "tipline/logged_out.html")
    return render(request, "tipline/logout.html", {"state": request.tip_state})


@require_http_methods(["GET"])
def quick_exit(request):
    """The tip pages' quick exit (docs/help-services.md). They link to no other site (their promise:
    tests/tipline/test_promise_headers.py), so the link points here and this redirect leaves for the
    neutral site, with the tip line's `no-referrer`."""
    return HttpResponseRedirect(settings.QUICK_EXIT_URL)
