"""Two-factor login pages: the code step after the password, enrolment, recovery codes, turning
it off, and the administrators' settings (who must use it; resetting someone's).

Between the password and the code the session is NOT logged in: login_view stores only a
signed marker naming the user, valid for PENDING_SECONDS; login() runs once the code passes (or,
for someone who must set it up, once the first code confirms the new authenticator). Every page
is plain HTML forms: the QR code is drawn by the server, and nothing needs JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from testigo.console import selectors as console_selectors
from testigo.console.twofactor_forms import CodeForm, ConfirmForm, DisableForm, RequirementForm
from testigo.core import auth, roles, twofactor
from testigo.core.access import may_enter, staff_required

PENDING = "twofactor_pending"  # session: signed {"user": pk, "backend": path}
NEXT = "twofactor_next"  # session: where to go once logged in
PENDING_SALT = "testigo.console.twofactor.pending"
# Long enough to install an authenticator app when enrolment comes first; the code step itself
# takes seconds.
PENDING_SECONDS = 15 * 60
FEW_RECOVERY_CODES = 3


def start(request, user, step: str, next_url: str):
    """Called by login_view after the right password: remember who is half-way, log nobody in."""
    if request.user.is_authenticated:  # someone else's session in this browser ends here
        request.session.flush()
        request.user = AnonymousUser()
    request.session.cycle_key()
    request.session[PENDING] = signing.dumps({"user": user.pk, "backend": user.backend}, salt=PENDING_SALT)
    request.session[NEXT] = next_url
    return redirect("console:twofactor_code" if step == "code" else "console:twofactor_enrol")


def _pending(request):
    """(user, backend) of the person half-way through logging in, or (None, None)."""
    try:
        marker = signing.loads(request.session.get(PENDING, ""), salt=PENDING_SALT, max_age=PENDING_SECONDS)
    except signing.BadSignature:
        return None, None
    user = get_user_model().objects.filter(pk=marker["user"]).first()
    if user is None or not may_enter(user):
        return None, None
    return user, marker["backend"]


def _abandon(request) -> None:
    """End a half-done login: the session (and whatever the password step left in it) goes."""
    request.session.flush()


def _finish(request, user, backend: str) -> str:
    """Log in for real; return where to go."""
    next_url = request.session.get(NEXT) or resolve_url("console:inbox")
    login(request, user, backend=backend)  # a new session key; the data (the tip-line key) stays
    for key in (PENDING, NEXT):
        request.session.pop(key, None)
    return next_url


def _expired(request):
    messages.error(request, _("Your login took too long or was interrupted. Please log in again."))
    return redirect("console:login")


@sensitive_post_parameters("code")
@never_cache
def code_view(request):
    user, backend = _pending(request)
    if user is None:
        return _expired(request)
    step = twofactor.second_step(user)
    if step == "enrol":
        return redirect("console:twofactor_enrol")
    if step is None:  # reset by an administrator meanwhile, and not required
        return redirect(_finish(request, user, backend))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            outcome = twofactor.verify(user=user, code=form.cleaned_data["code"])
        except auth.LoginLocked as exc:
            outcome, status = None, 429
            form.add_error(None, str(exc))
        if outcome in (twofactor.Outcome.OK, twofactor.Outcome.RECOVERY):
            next_url = _finish(request, user, backend)
            if outcome == twofactor.Outcome.RECOVERY:
                _warn_recovery_codes_left(request, user)
            return redirect(next_url)
        if outcome == twofactor.Outcome.LOCKED:
            _abandon(request)
            form.add_error(None, auth.locked_message())
            status = 429
        elif outcome == twofactor.Outcome.WRONG:
            form.add_error("code", _("That code is not right, or was already used. Check that the time on "
                                     "your phone is correct and type the code the app shows now."))
    return render(request, "console/twofactor_code.html", {"form": form}, status=status)


def _warn_recovery_codes_left(request, user) -> None:
    left = twofactor.recovery_codes_left(user)
    message = ngettext("You logged in with a recovery code. %(count)d recovery code is left.",
                       "You logged in with a recovery code. %(count)d recovery codes are left.", left) % {
        "count": left}
    if left <= FEW_RECOVERY_CODES:
        message += " " + _("Make new ones on the two-factor login page, or set up your new phone there.")
    messages.warning(request, message)


def _enrolling_user(request):
    """(user, backend or None): a logged-in staff member (backend None), or someone half-way
    through logging in who must set up two-factor login first. Someone half-way who already has
    an authenticator must pass the code step, never replace it here."""
    if request.user.is_authenticated and may_enter(request.user):
        return request.user, None
    user, backend = _pending(request)
    if user is not None and twofactor.second_step(user) == "enrol":
        return user, backend
    return None, None


@sensitive_post_parameters("code")
@never_cache
def enrol_view(request):
    user, backend = _enrolling_user(request)
    if user is None:
        return _expired(request)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm(user=user, code=form.cleaned_data["code"])
        if codes is not None:
            next_url = _finish(request, user, backend) if backend else resolve_url("console:twofactor")
            # Rendered, not redirected: the codes must not travel in a message cookie or the
            # session, and they are shown exactly once.
            return render(request, "console/twofactor_codes.html", {"codes": codes, "next_url": next_url})
        form.add_error("code", _("That code does not match. Check that the time on your phone is correct, "
                                 "then type the code the app shows now."))
    key = twofactor.pending_key(user)
    uri = twofactor.provisioning_uri(key, user.get_username())
    return render(request, "console/twofactor_enrol.html", {
        "form": form, "qr": twofactor.qr_svg(uri), "secret": twofactor.secret_text(key),
        "required": twofactor.required_for(user), "logging_in": backend is not None,
        "replacing": twofactor.is_enabled(user),
    })


@staff_required()
def overview(request):
    user = request.user
    return render(request, "console/twofactor.html", {
        "enabled": twofactor.is_enabled(user), "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user), "code_form": CodeForm(auto_id="renew_%s"),
        "disable_form": DisableForm(auto_id="off_%s"),
    })


def _refused(request, exc: auth.LoginLocked | None = None):
    messages.error(request, str(exc) if exc else _("That code or password is not right."))
    return redirect("console:twofactor")


@require_POST
@sensitive_post_parameters("code")
@never_cache
@staff_required()
def recovery_codes(request):
    """New recovery codes (the old ones stop working), after a current code."""
    form = CodeForm(request.POST)
    try:
        ok = form.is_valid() and twofactor.verify(user=request.user, code=form.cleaned_data["code"]) in (
            twofactor.Outcome.OK, twofactor.Outcome.RECOVERY)
    except auth.LoginLocked as exc:
        return _refused(request, exc)
    if not ok:
        return _refused(request)
    codes = twofactor.regenerate_recovery_codes(user=request.user)
    return render(request, "console/twofactor_codes.html", {"codes": codes,
                                                            "next_url": resolve_url("console:twofactor")})


@require_POST
@sensitive_post_parameters("code", "password")
@staff_required()
def disable(request):
    form = DisableForm(request.POST)
    if not form.is_valid():
        return _refused(request)
    code, password = form.cleaned_data["code"], form.cleaned_data["password"]
    try:
        if code:
            ok = twofactor.verify(user=request.user, code=code) in (twofactor.Outcome.OK,
                                                                     twofactor.Outcome.RECOVERY)
        else:
            ok = twofactor.verify_password(user=request.user, password=password)
    except auth.LoginLocked as exc:
        return _refused(request, exc)
    if not ok:
        return _refused(request)
    twofactor.disable(user=request.user)
    if twofactor.required_for(request.user):
        messages.warning(request, _("Two-factor login is off. Your role requires it: you will be asked to set "
                                    "it up again at your next login."))
    else:
        messages.success(request, _("Two-factor login is off."))
    return redirect("console:twofactor")


@staff_required(roles.MANAGE_USERS)
def settings_view(request):
    """Who must use two-factor login, and everyone's state (with a reset for a lost phone)."""
    current = twofactor.requirements()
    form = RequirementForm(request.POST or None,
                           initial={"required": [scope for scope, on in current.items() if on]})
    if request.method == "POST" and form.is_valid():
        twofactor.set_requirements(actor=request.user, required=set(form.cleaned_data["required"]))
        messages.success(request, _("Saved. The change applies to each person at their next login."))
        return redirect("console:twofactor_settings")
    users = [u for u in console_selectors.users_with_roles() if u.role and u.is_active]
    enabled = twofactor.users_enabled()
    for user in users:
        user.twofactor_on = user.pk in enabled
    return render(request, "console/twofactor_settings.html", {"form": form, "users": users})


@require_POST
@staff_required(roles.MANAGE_USERS)
def reset(request, user_id: int):
    target = get_object_or_404(get_user_model(), pk=user_id)
    twofactor.reset(actor=request.user, user=target)
    messages.success(request, _("Two-factor login of %(name)s was reset. They will set it up again at their "
                                "next login if their role requires it.") % {"name": target.get_username()})
    return redirect("console:twofactor_settings")
