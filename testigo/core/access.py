"""Who may enter the console, and how refusals look.

Every console view is wrapped in `staff_required`: anonymous visitors are sent to the login
page, signed-in accounts without a role get a 403, and so does anyone lacking the page's action.
The services check again; this only keeps refusals fast and friendly.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from testigo.core import roles


def may_enter(user) -> bool:
    """Active accounts holding a role (or superusers) that can view reports."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (user.is_superuser or roles.role_of(user) is not None) and roles.can(user, roles.VIEW)


def forbidden(request, message: str = ""):
    return render(request, "console/forbidden.html", {"message": message}, status=403)


def staff_required(action: str | None = None):
    """Decorator: login + VIEW (+ `action`); a PermissionDenied raised inside becomes the 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may_enter(request.user) or (action and not roles.can(request.user, action)):
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc) if exc.args else "")

        return wrapper

    return decorate
