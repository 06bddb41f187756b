"""Evidence packages from the console (reports/evidence.py): a button on the report page, and a
page taking a list of references (or the inbox's ticked reports). Each answers with the ZIP as a
streamed download; a refusal or a wrong reference comes back as a message, nothing streamed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.reports import evidence, recordings


class EvidenceForm(forms.Form):
    references = forms.CharField(
        label=_("Report references"), max_length=20 * evidence.MAX_REPORTS,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "T-4K7Q-9MZD\nT-8WXN-2C3P"}),
        help_text=_("One or more, separated by spaces, commas or new lines."))
    with_contact = forms.BooleanField(label=_("Include the reporters' names and contacts"), required=False)

    def reference_list(self) -> list[str]:
        return self.cleaned_data["references"].replace(",", " ").split()


def _download(package: evidence.EvidencePackage) -> StreamingHttpResponse:
    response = StreamingHttpResponse(package.stream(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _package(request, references: list[str], with_contact: bool) -> evidence.EvidencePackage:
    reports = evidence.chosen_reports(actor=request.user, references=references)
    return evidence.evidence_zip(reports=reports, actor=request.user, with_contact=with_contact,
                                 unseal=recordings.original_opener(request))


@require_POST
@staff_required(roles.EXPORT)
def report_evidence(request, reference: str):
    """The report page's button: this one report."""
    try:
        package = _package(request, [reference], request.POST.get("with_contact") == "1")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("console:report", reference=reference)
    return _download(package)


@staff_required(roles.EXPORT)
def evidence_page(request):
    """A set of reports: typed references, or the references the inbox's ticked boxes post
    (`ref`), which fill the form for a last look before downloading."""
    roles.require_evidence_export(request.user)
    ticked = request.POST.getlist("ref")
    if request.method == "POST" and ticked and "references" not in request.POST:
        form = EvidenceForm(initial={"references": "\n".join(ticked)})
    elif request.method == "POST":
        form = EvidenceForm(request.POST)
        if form.is_valid():
            try:
                package = _package(request, form.reference_list(), form.cleaned_data["with_contact"])
            except ValidationError as exc:
                form.add_error("references", exc)
            else:
                return _download(package)
    else:
        form = EvidenceForm(initial={"references": "\n".join(request.GET.getlist("ref"))})
    if not roles.may_take_contacts(request.user):
        del form.fields["with_contact"]
    return render(request, "console/evidence.html", {"form": form, "max_reports": evidence.MAX_REPORTS})
