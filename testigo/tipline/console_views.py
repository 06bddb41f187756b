"""Staff tip pages. Thin: parse, call a service or selector, render. The organisation key is
combined in memory for the request (vault.org_key) and never leaves it."""

from __future__ import annotations

import logging
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import forbidden, staff_required
from testigo.tipline import crypto, reporting, selectors, services, vault
from testigo.tipline.forms import (
    GrantForm,
    RecoverForm,
    RecoveryChoiceForm,
    ReplyForm,
    ToReportForm,
    UnlockForm,
)
from testigo.tipline.models import StaffKeyWrap

logger = logging.getLogger(__name__)


def with_key(view):
    """Staff with tip-line access whose key is unlocked; otherwise the unlock or set-up page."""

    @staff_required()
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if vault.current() is None:
            return redirect("tipconsole:setup")
        if not vault.has_access(request.user):
            return forbidden(request, _("You do not have tip-line access. An authorised colleague can grant it."))
        try:
            key = vault.org_key(request)
        except crypto.VaultLocked:
            return redirect(f"{_url('tipconsole:unlock')}?next={request.path}")
        return view(request, key, *args, **kwargs)

    return wrapper


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@with_key
def tip_list(request, key):
    return render(request, "tipline/console/list.html", {"tips": selectors.tips_for(request.user)})


def _tip_context(request, key, tip, reply_form=None, report_form=None):
    images = selectors.image_choices(request.user, org_private=key, tip=tip)
    return {
        "tip": tip, "messages_list": selectors.conversation_for_staff(request.user, org_private=key, tip=tip),
        "reply_form": reply_form or ReplyForm(),
        "report_form": report_form or ToReportForm(photo_choices=[(f.id, f.name) for f in images],
                                                   initial={"language": request.LANGUAGE_CODE}),
        "can_report": roles.can(request.user, roles.EDIT),
    }


@with_key
def tip_page(request, key, tip_id: int):
    tip = selectors.tip_for(request.user, tip_id)
    services.mark_read(actor=request.user, tip=tip)
    return render(request, "tipline/console/tip.html", _tip_context(request, key, tip))


@require_POST
@with_key
def tip_reply(request, key, tip_id: int):
    tip = selectors.tip_for(request.user, tip_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.staff_reply(actor=request.user, org_private=key, tip=tip, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            return redirect("tipconsole:tip", tip_id=tip.pk)
    return render(request, "tipline/console/tip.html", _tip_context(request, key, tip, reply_form=form), status=400)


@require_POST
@with_key
def tip_keep(request, key, tip_id: int):
    tip = selectors.tip_for(request.user, tip_id)
    services.set_keep(actor=request.user, tip=tip, keep=request.POST.get("keep") == "1")
    return redirect("tipconsole:tip", tip_id=tip.pk)


@require_POST
@with_key
def tip_to_report(request, key, tip_id: int):
    tip = selectors.tip_for(request.user, tip_id)
    images = selectors.image_choices(request.user, org_private=key, tip=tip)
    form = ToReportForm(request.POST, photo_choices=[(f.id, f.name) for f in images])
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = reporting.tip_to_report(actor=request.user, org_private=key, tip=tip, title=data["title"],
                                             description=data["description"], language=data["language"],
                                             occurred_on=data["occurred_date"], place_name=data["place_name"],
                                             photo_ids=data["photos"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            return redirect("console:report", reference=report.reference)
    return render(request, "tipline/console/tip.html", _tip_context(request, key, tip, report_form=form), status=400)


@with_key
def tip_file(request, key, file_id: int):
    original = request.GET.get("original") == "1"
    name, content_type, data = selectors.file_for_staff(request.user, org_private=key, file_id=file_id,
                                                        original=original)
    response = HttpResponse(data, content_type=content_type)
    # Only the metadata-free photo copy may be shown inline; everything else is a download.
    inline = content_type.startswith("image/") and request.GET.get("inline") == "1"
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@sensitive_post_parameters("password")
@staff_required()
def unlock(request):
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if vault.unlock(request, user=request.user, password=form.cleaned_data["password"]):
            target = request.POST.get("next", "")
            return redirect(target if target.startswith("/console/tips/") else "tipconsole:list")
        form.add_error(None, _("The password is not correct, or you do not have tip-line access."))
    return render(request, "tipline/console/unlock.html", {"form": form, "next": request.GET.get("next", "")})


@sensitive_post_parameters("password")
@staff_required(roles.MANAGE_TIPLINE)
def setup(request):
    if vault.current() is not None:
        return redirect("tipconsole:list")
    form = RecoveryChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recovery = vault.setup(user=request.user, password=data["password"], threshold=data["threshold"],
                                   count=data["count"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            vault.unlock(request, user=request.user, password=data["password"])
            return render(request, "tipline/console/recovery.html", {"recovery": recovery})
    return render(request, "tipline/console/setup.html", {"form": form})


@sensitive_post_parameters("password", "recovery_key", *[f"share_{n}" for n in range(1, 11)])
@staff_required(roles.MANAGE_TIPLINE)
def recover(request):
    """Access again with the recovery key or k of its shares (the trustees type theirs here)."""
    current = vault.current()
    if current is None:
        return redirect("tipconsole:setup")
    form = RecoverForm(request.POST or None, shares=current.recovery_threshold)
    if request.method == "POST" and form.is_valid():
        try:
            vault.recover(recovery_key=form.cleaned_data["recovery_key"], shares=form.shares(), user=request.user,
                          password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            vault.unlock(request, user=request.user, password=form.cleaned_data["password"])
            return redirect("tipconsole:list")
    return render(request, "tipline/console/recover.html", {"form": form, "vault": current},
                  status=400 if form.is_bound else 200)


@sensitive_post_parameters("password")
@with_key
def rotate(request, key):
    """Replace the organisation key: start (new key pair and recovery key, then re-seal every
    tip's key in batches) or continue an interrupted rotation."""
    if not roles.can(request.user, roles.MANAGE_TIPLINE):
        return forbidden(request)
    form = RecoveryChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rotation = vault.start_rotation(actor=request.user, org_private=key, password=data["password"],
                                            threshold=data["threshold"], count=data["count"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            vault.unlock_with(request, rotation.org_private)
            try:
                vault.continue_rotation(actor=request.user, org_private=rotation.org_private)
            except Exception:  # it resumes from the rotation page; the new recovery key must be shown now
                logger.exception("tip-line key rotation interrupted; continue it from the rotation page")
            return render(request, "tipline/console/recovery.html", {
                "recovery": rotation.recovery, "rotation": rotation, "remaining": vault.rotation_remaining()})
    kept, lost = vault.rotation_preview()
    return render(request, "tipline/console/rotate.html", {
        "form": form, "vault": vault.current(), "remaining": vault.rotation_remaining(),
        "kept": [name for name in kept if name != request.user.get_username()], "lost": lost,
    }, status=400 if form.is_bound else 200)


@require_POST
@with_key
def rotate_continue(request, key):
    if not roles.can(request.user, roles.MANAGE_TIPLINE):
        return forbidden(request)
    vault.continue_rotation(actor=request.user, org_private=key)
    return redirect("tipconsole:rotate")


@sensitive_post_parameters("grantee_password")
@with_key
def access(request, key):
    if not roles.can(request.user, roles.MANAGE_TIPLINE):
        return forbidden(request)
    users = get_user_model().objects.filter(is_active=True).exclude(tip_key__isnull=False).order_by("username")
    form = GrantForm(request.POST or None, users=users)
    if request.method == "POST" and form.is_valid():
        try:
            vault.grant(grantor=request.user, org_private=key, grantee=form.cleaned_data["grantee"],
                        grantee_password=form.cleaned_data["grantee_password"])
        except ValidationError as error:
            form.add_error("grantee_password", error.messages[0])
        else:
            return redirect("tipconsole:access")
    holders = StaffKeyWrap.objects.select_related("user").order_by("user__username")
    return render(request, "tipline/console/access.html", {"form": form, "holders": holders,
                                                           "vault": vault.current()})


@require_POST
@with_key
def revoke(request, key, user_id: int):
    grantee = get_user_model().objects.filter(pk=user_id).first()
    if grantee is not None and grantee != request.user:
        vault.revoke(actor=request.user, grantee=grantee)
    return redirect("tipconsole:access")


@require_POST
@with_key
def keep_originals(request, key):
    services.set_keep_originals(actor=request.user, keep=request.POST.get("keep") == "1")
    return redirect("tipconsole:access")
