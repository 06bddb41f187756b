"""The NinjaAPI instance mounted at /api/v1/.

Ninja's own docs page loads Swagger UI from a CDN, which our CSP (no third-party origin) forbids,
so it is disabled and `docs_view` serves a small self-hosted page built from the OpenAPI JSON.
"""

from __future__ import annotations

from ninja import NinjaAPI

from testigo.api import errors, map_api, reports_api, stories_api
from testigo.api.auth import CallerAuth


class TestigoAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """The handler's name (`list_reports`, `add_note`…): what a generated client names its
        functions, instead of ninja's module path (`testigo_api_reports_api_list_reports`)."""
        return operation.view_func.__name__


api = TestigoAPI(
    title="Testigo API",
    version="1",
    description="Reports, map clusters, categories, layers and published stories. Anonymous callers see the public "
                "projection; staff use `Authorization: Bearer <token>`.",
    urls_namespace="api:v1",  # nested in the "api" app namespace of testigo.api.urls
    docs_url=None,
    auth=CallerAuth(),
)
errors.install(api)
api.add_router("/", reports_api.router)
api.add_router("/", map_api.router)
api.add_router("/", stories_api.router)
