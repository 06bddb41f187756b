from django.conf import settings


def site_origin(request) -> str:
    """The public https://host of absolute links: TESTIGO_SITE_URL, else the host the request came to."""
    return settings.SITE_URL or (request.build_absolute_uri("/").rstrip("/") if request is not None else "")


def site(request):
    from testigo.core import roles

    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "SITE_ORIGIN": site_origin(request),
        "staff_can": {action: roles.can(user, action) for action in roles.PERMISSION_OF} if user else {},
    }
