"""/api/v1/reports…: list, submit, read, edit, status, notes, GeoJSON and CSV exports."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema
from ninja.responses import Status

from testigo.api import params, queries
from testigo.api.errors import ApiError
from testigo.api.responses import (
    GEOJSON,
    NoteList,
    PublicReportDetail,
    ReportPage,
    StaffReportDetail,
    StatusChanged,
    Submitted,
    body,
    file_body,
    with_errors,
)
from testigo.api.responses import Note as NoteOut
from testigo.api.schemas import NoteIn, ReportIn, ReportPatch, StatusIn
from testigo.core import roles
from testigo.reports import exporters, filters, selectors, services, submission
from testigo.reports.models import Category

# Endpoint summaries stay English in the OpenAPI schema (gettext_noop); the docs page translates them.
router = Router(tags=["reports"])


class ReportQuery(Schema):
    status: str | None = None
    category: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    q: str | None = None
    bbox: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    updated_since: str | None = None


class PageQuery(ReportQuery):
    limit: str | None = None
    cursor: str | None = None


def _filters(query: ReportQuery):
    data = query.dict()
    return filters.parse_filters(data), filters.parse_updated_since(data.get("updated_since"))


@router.get("/reports", response=with_errors({200: ReportPage}, 400), exclude_unset=True,
            summary=gettext_noop("List reports (cursor-paginated)"))
def list_reports(request, query: Query[PageQuery]):
    wanted, since = _filters(query)
    return queries.page(request.auth, wanted, limit=params.parse_limit(query.limit), cursor=query.cursor,
                        updated_since=since)


def _categories(values: list) -> list[Category]:
    ids = filters.parse_categories(",".join(str(v) for v in values)) if values else []
    return list(Category.objects.filter(id__in=ids))


@router.post("/reports", response=with_errors({201: Submitted}, 400, 403, 422), summary=gettext_noop("Submit a report (public)"))
def submit_report(request, payload: ReportIn):
    data = payload.dict()
    if data["category"] is not None:
        try:
            found = filters.parse_categories(str(data["category"]))
        except filters.InvalidFilter as exc:
            raise ApiError(422, "invalid_input", exc.message, [{"field": "category", "message": exc.message}]) from None
        data["category"] = found[0] if found else None  # "" or " , ": no category, the form decides
    if data["occurred_time"] is not None:
        data["occurred_time"] = data["occurred_time"].replace(tzinfo=None)  # local time, as on the form
    form = submission.SubmissionForm({k: ("" if v is None else str(v)) for k, v in data.items()})
    if not form.is_valid():
        detail = form.error_list()
        raise ApiError(422, "invalid_input", detail[0]["message"], detail)
    report = services.create_report(**form.report_kwargs(), language=data["language"], source="api",
                                    actor=request.auth.user)
    return Status(201, {"reference": report.reference, "status": report.status})


def _staff_detail(caller, report) -> dict:
    row = next(exporters.staff_rows(selectors.visible_to(caller.user).filter(pk=report.pk),
                                    with_contact=roles.may_take_contacts(caller.user)))
    row["redactions"] = report.redactions
    return row


@router.get("/reports/{reference}", response=with_errors({200: StaffReportDetail | PublicReportDetail}, 404),
            exclude_unset=True, summary=gettext_noop("One report"))
def get_report(request, reference: str):
    caller = request.auth
    if caller.is_staff:
        return _staff_detail(caller, selectors.staff_report(caller.user, reference))
    row = selectors.public_report(reference)
    if row is None:
        raise ApiError(404, "not_found", _("Not found."))
    out = exporters.public_row(row, [c.slug for c in row["categories"]])
    out["photos"] = [{"id": p["id"], "width": p["width"], "height": p["height"]} for p in row["photos"]]
    out["recordings"] = [{"id": m["id"], "kind": m["kind"], "content_type": m["content_type"],
                          "duration_s": m["duration_s"], "width": m["width"], "height": m["height"],
                          "url": request.build_absolute_uri(reverse("public:public_media", args=[m["id"]]))}
                         for m in row["recordings"]]
    return out


@router.patch("/reports/{reference}", response=with_errors({200: StaffReportDetail}, 400, 403, 404, 422),
              exclude_unset=True, summary=gettext_noop("Edit a report (staff, write scope)"))
def patch_report(request, reference: str, payload: ReportPatch):
    caller = request.auth
    user = caller.require_write()
    report = selectors.staff_report(user, reference)
    changes = payload.dict(exclude_unset=True)
    blank = [f for f in ("title", "description", "place_name", "admin1", "admin2", "visibility")
             if f in changes and changes[f] is None]
    if blank:
        detail = [{"field": f, "message": _("This field cannot be null.")} for f in blank]
        raise ApiError(422, "invalid_input", detail[0]["message"], detail)
    categories = changes.pop("categories", None)
    services.update_report(report=report, actor=user,
                           categories=_categories(categories) if categories is not None else None, **changes)
    return _staff_detail(caller, report)


@router.post("/reports/{reference}/status", response=with_errors({200: StatusChanged}, 400, 403, 404, 422),
             exclude_unset=True, summary=gettext_noop("Change a report's status (staff, write scope)"))
def change_status(request, reference: str, payload: StatusIn):
    caller = request.auth
    user = caller.require_write()
    report = selectors.staff_report(user, reference)
    report = services.change_status(report=report, actor=user, status=payload.status)
    return {**_staff_detail(caller, report), "warnings": services.publish_warnings(report)}


def _note(note) -> dict:
    return {"id": note.id, "text": note.text, "author": getattr(note.author, "username", None),
            "created_at": note.created_at}


@router.get("/reports/{reference}/notes", response=with_errors({200: NoteList}, 403, 404),
            summary=gettext_noop("Staff notes on a report"))
def list_notes(request, reference: str):
    report = selectors.staff_report(request.auth.require_staff(), reference)
    return {"items": [_note(n) for n in report.notes.select_related("author")]}


@router.post("/reports/{reference}/notes", response=with_errors({201: NoteOut}, 400, 403, 404, 422),
             summary=gettext_noop("Add a note (staff, write scope)"))
def add_note(request, reference: str, payload: NoteIn):
    user = request.auth.require_write()
    report = selectors.staff_report(user, reference)
    return Status(201, _note(services.add_note(report=report, actor=user, text=payload.text)))


def export_rows(caller, query: ReportQuery) -> exporters.Export:
    """The export this caller may have: staff need EXPORT; the public gets the projection."""
    wanted, since = _filters(query)
    qs, _sort, public = queries.report_queryset(caller, wanted, since)
    if public:
        return exporters.Export(qs, public=True)
    roles.require(caller.user, roles.EXPORT)
    return exporters.Export(qs, public=False, with_contact=roles.may_take_contacts(caller.user),
                            answers=survey_answer_columns(wanted.categories), survey=export_survey(wanted.categories))


def export_survey(category_ids: list[int]):
    """The survey whose submissions (and repeats) an XLSX export adds: that of the one category
    the export is filtered to — its web form's, else any active survey filed under it (an
    XLSForm with repeats is for ODK Collect only, so never the web form's)."""
    from testigo.surveys.models import Survey
    from testigo.surveys.selectors import survey_for_category

    if len(category_ids) != 1:
        return None
    category = Category.objects.filter(pk=category_ids[0]).first()
    return survey_for_category(category) or (
        Survey.objects.filter(category=category, is_active=True).order_by("pk").first() if category else None)


def survey_answer_columns(category_ids: list[int]) -> list:
    """When the export is filtered to one category with a survey, that survey's answers as extra
    columns (headers in the active language); none otherwise."""
    from django.utils.translation import get_language

    from testigo.surveys.columns import export_columns
    from testigo.surveys.selectors import survey_for_category

    if len(category_ids) != 1:
        return []
    survey = survey_for_category(Category.objects.filter(pk=category_ids[0]).first())
    return export_columns(survey, (get_language() or "es")[:2]) if survey else []


@router.get("/reports.geojson", response=with_errors({200: None}, 400, 403),
            openapi_extra=body("application/geo+json", GEOJSON),
            summary=gettext_noop("Reports as a GeoJSON FeatureCollection (streamed)"))
def reports_geojson(request, query: Query[ReportQuery]):
    export = export_rows(request.auth, query)
    return StreamingHttpResponse(export.geojson(), content_type="application/geo+json")


@router.get("/reports.csv", response=with_errors({200: None}, 400, 403),
            openapi_extra=body("text/csv", {"type": "string"}), summary=gettext_noop("Reports as CSV (streamed)"))
def reports_csv(request, query: Query[ReportQuery]):
    export = export_rows(request.auth, query)
    response = StreamingHttpResponse(export.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="reports.csv"'
    return response


def _download(export: exporters.Export, fmt: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.stream(fmt), content_type=exporters.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exporters.FILENAMES[fmt]}"'
    return response


@router.get("/reports.xlsx", response=with_errors({200: None}, 400, 403),
            openapi_extra=file_body(exporters.CONTENT_TYPES["xlsx"]),
            summary=gettext_noop("Reports as an Excel workbook (streamed)"))
def reports_xlsx(request, query: Query[ReportQuery]):
    return _download(export_rows(request.auth, query), "xlsx")


@router.get("/reports.kml", response=with_errors({200: None}, 400, 403),
            openapi_extra=file_body(exporters.CONTENT_TYPES["kml"]),
            summary=gettext_noop("Reports as KML placemarks styled by category (streamed)"))
def reports_kml(request, query: Query[ReportQuery]):
    return _download(export_rows(request.auth, query), "kml")


@router.get("/reports.hxl.csv", response=with_errors({200: None}, 400, 403),
            openapi_extra=body("text/csv", {"type": "string"}),
            summary=gettext_noop("Reports as HXL-tagged CSV (streamed)"))
def reports_hxl(request, query: Query[ReportQuery]):
    return _download(export_rows(request.auth, query), "hxl")
