from django.conf import settings


def site(request):
    from testigo.core import roles

    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "staff_can": {action: roles.can(user, action) for action in roles.PERMISSION_OF} if user else {},
    }
