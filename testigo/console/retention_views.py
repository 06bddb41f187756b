"""Retention policies: list, create/edit, preview and "apply now" (admins only, like backups: a
policy deletes data of the whole deployment). Logic lives in reports/retention.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from testigo.console.retention_forms import RetentionPolicyForm
from testigo.core.access import staff_required
from testigo.reports import retention, tasks
from testigo.reports.models import RetentionPolicy


@never_cache
@staff_required(retention.MANAGE_RETENTION)
def policies(request):
    return render(request, "console/retention.html", {"policies": RetentionPolicy.objects.prefetch_related("categories")})


@never_cache
@staff_required(retention.MANAGE_RETENTION)
def policy_edit(request, policy_id: int | None = None):
    policy = get_object_or_404(RetentionPolicy, pk=policy_id) if policy_id else RetentionPolicy()
    form = RetentionPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            policy = retention.save_policy(actor=request.user, policy=form.save(commit=False),
                                           categories=list(form.cleaned_data["categories"]),
                                           confirm_everything=form.cleaned_data["confirm_everything"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("confirm_everything" if exc.error_list[0].code == "everything" else None, message)
        else:
            messages.success(request, _("Retention policy “%(name)s” saved.") % {"name": policy.name})
            return redirect("console:retention_preview", policy_id=policy.pk)
    return render(request, "console/retention_form.html", {"form": form, "policy": policy if policy.pk else None})


@never_cache
@staff_required(retention.MANAGE_RETENTION)
def policy_preview(request, policy_id: int):
    policy = get_object_or_404(RetentionPolicy, pk=policy_id)
    return render(request, "console/retention_preview.html", {
        "policy": policy, "preview": retention.preview(policy),
        "blocked": retention.covers_everything(policy) and not policy.confirmed_everything,
    })


@require_POST
@staff_required(retention.MANAGE_RETENTION)
def policy_apply(request, policy_id: int):
    policy = get_object_or_404(RetentionPolicy, pk=policy_id)
    if retention.covers_everything(policy) and not policy.confirmed_everything:
        messages.error(request, _("This policy reaches every report: confirm it on its edit page first."))
    else:
        tasks.apply_retention_policy(policy_id=policy.pk, actor_id=request.user.pk)
        messages.success(request, _("The policy is being applied; the audit trail records each batch."))
    return redirect("console:retention_preview", policy_id=policy.pk)


@require_POST
@staff_required(retention.MANAGE_RETENTION)
def policy_delete(request, policy_id: int):
    policy = get_object_or_404(RetentionPolicy, pk=policy_id)
    retention.delete_policy(actor=request.user, policy=policy)
    messages.success(request, _("Retention policy deleted."))
    return redirect("console:retention")
