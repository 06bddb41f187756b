"""Console pages for imports: upload → map columns → preview → run → progress → rejected rows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from testigo.core import csvsafe, roles
from testigo.core import storage as stores
from testigo.core.access import staff_required
from testigo.surveys import dateorder, importing, mapping
from testigo.surveys.console_forms import ImportUploadForm, MappingForm
from testigo.surveys.models import Import, Survey

MANAGE = roles.IMPORT_REPORTS


@staff_required(MANAGE)
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = importing.create_import(actor=request.user, name=upload.name, data=upload.read())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            return redirect("surveys:import_mapping", imp.pk)
    return render(request, "surveys/imports.html", {"form": form, "imports": Import.objects.all()[:50]})


@staff_required(MANAGE)
def import_mapping(request, pk: int):
    imp = get_object_or_404(Import, pk=pk)
    header = importing.header_of(imp)
    chosen = request.POST.get("survey", imp.mapping.get("survey", "")) if request.method == "POST" else \
        imp.mapping.get("survey", "")
    survey = Survey.objects.filter(form_id=chosen).first() if chosen else None
    form = MappingForm(request.POST or None, header=header, surveys=Survey.objects.all(), survey=survey,
                       initial=MappingForm.initial_from(imp.mapping, header))
    shown = imp.mapping  # the mapping whose dates the page describes
    if request.method == "POST" and form.is_valid():
        shown = form.mapping_json(imp.mapping)
        try:
            # The day/month order is decided here, from the whole file: never assumed (issue #18).
            settled = dateorder.settle(shown, stores.local_path(imp.file), chosen=form.cleaned_data["date_order"])
            importing.set_mapping(actor=request.user, imp=imp, mapping_json=settled)
        except dateorder.Undecided:
            form.add_error("date_order", _("Choose how the dates of this file are written."))
        except dateorder.DateOrderError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if request.POST.get("action") == "run":
                importing.start(actor=request.user, imp=imp)
                return redirect("surveys:import_progress", imp.pk)
            return redirect("surveys:import_mapping", imp.pk)
    try:
        rows = importing.preview(imp)
    except mapping.RowError as exc:
        rows, form_error = [], str(exc)
    else:
        form_error = ""
    return render(request, "surveys/import_mapping.html", {
        "imp": imp, "form": form, "rows": rows, "preview_error": form_error, "header": header,
        "dates": _dates_of(imp, shown)})


def _dates_of(imp: Import, shown: dict) -> dict | None:
    """What the page says about the file's dates: the order they settle, or the question to ask
    with example rows read both ways."""
    try:
        reading = dateorder.examine_file(stores.local_path(imp.file), shown)
    except mapping.RowError:
        return None
    examples = [{"example": e, "dmy": e.both_ways()[0], "mdy": e.both_ways()[1]} for e in reading.ambiguous]
    return {"reading": reading, "examples": examples,
            "order_label": dateorder.ORDERS.get(reading.order or shown.get("date_order") or "", "")}


@staff_required(MANAGE)
def import_progress(request, pk: int):
    imp = get_object_or_404(Import, pk=pk)
    running = imp.status in (Import.Status.QUEUED, Import.Status.RUNNING) and not imp.stalled
    ended = imp.status in (Import.Status.DONE, Import.Status.FAILED)
    percent = int(100 * imp.processed_rows / imp.total_rows) if imp.total_rows else (100 if ended else 0)
    # Row 0: why the whole import stopped (not a rejected row of the file).
    failure = next((e["reason"] for e in reversed(imp.errors) if not e["row"]), "") \
        if imp.status == Import.Status.FAILED else ""
    return render(request, "surveys/import_progress.html", {
        "imp": imp, "running": running, "percent": percent, "failure": failure,
        # Run again: only an import that ended (or whose worker died); a draft has never run.
        "can_rerun": ended or imp.stalled, "draft": imp.status == Import.Status.DRAFT,
        "errors": imp.rejected_rows[:200], "summary": importing.summary_view(imp)})


@require_POST
@staff_required(MANAGE)
def import_run(request, pk: int):
    imp = get_object_or_404(Import, pk=pk)
    if imp.status == Import.Status.DRAFT:  # never ran: its columns are matched (and it is run) on that page
        messages.error(request, _("Match the columns before running the import."))
        return redirect("surveys:import_mapping", imp.pk)
    importing.start(actor=request.user, imp=imp)
    messages.success(request, _("The import is running."))
    return redirect("surveys:import_progress", imp.pk)


@staff_required(MANAGE)
def import_rejected(request, pk: int):
    """Every rejected row with its reason, as CSV (the same columns as the file, plus two)."""
    imp = get_object_or_404(Import, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-{imp.pk}.csv"'
    response.write("\ufeff")
    writer = csvsafe.writer(response)  # the file's own header and cells are guarded too
    writer.writerow([_("row"), _("reason")] + importing.header_of(imp))
    for error in imp.rejected_rows:
        writer.writerow([error["row"], error["reason"]] + list(error.get("values") or []))
    return response
