"""JSON errors with stable codes: {"code": ..., "message": ..., "detail": ...}.

Clients switch on `code` (never on the translated `message`); bad input is a 400/422, never a 500.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from testigo.reports.filters import InvalidFilter


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail=None):
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail


def bad_param(name: str, message: str) -> ApiError:
    return ApiError(400, f"invalid_{name}", message, {"param": name})


def _field_errors(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        out.append({"field": ".".join(loc), "message": err.get("msg", "")})
    return out


def install(api) -> None:
    """Register the handlers on a NinjaAPI instance."""

    def respond(request, status, code, message, detail=None):
        return api.create_response(request, {"code": code, "message": str(message), "detail": detail},
                                   status=status)

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, exc.detail)

    @api.exception_handler(InvalidFilter)
    def invalid_filter(request, exc: InvalidFilter):
        error = bad_param(exc.param, exc.message)
        return respond(request, error.status, error.code, error.message, error.detail)

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc: NinjaValidationError):
        return respond(request, 422, "invalid_input", _("Some fields are not valid."), _field_errors(exc.errors))

    @api.exception_handler(ValidationError)
    def django_invalid(request, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            detail = [{"field": f, "message": str(m)} for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            detail = [{"field": "", "message": str(m)} for m in exc.messages]
        return respond(request, 422, "invalid_input", detail[0]["message"] if detail else _("Invalid input."),
                       detail)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(request, 401, "unauthenticated", _("A valid API token is required."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        # core.roles.require() says why (e.g. only publishers change what the public sees).
        message = str(exc) if exc.args and str(exc) else _("You do not have permission to do this.")
        return respond(request, 403, "forbidden", message)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(ObjectDoesNotExist)
    def missing(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400:  # ninja's only 400: a request body that is not JSON
            return respond(request, 400, "invalid_body", _("The request body could not be read as JSON."))
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc))
