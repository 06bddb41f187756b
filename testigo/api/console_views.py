"""API tokens in the console: staff create tokens for themselves (shown once) and revoke them;
administrators (MANAGE_TOKENS) see and revoke everyone's."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from testigo.api import selectors, services
from testigo.api.models import ApiToken
from testigo.core.access import staff_required


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What is it for?"), max_length=100)
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=ApiToken.Scope.choices)


@never_cache
@staff_required()
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.create_token(user=request.user, name=form.cleaned_data["name"],
                                                      scope=form.cleaned_data["scope"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
    rows = selectors.tokens_for(request.user)
    return render(request, "console/tokens.html", {"form": form, "new_token": new_token, "tokens": rows})


@require_POST
@staff_required()
def token_revoke(request, token_id: int):
    token = get_object_or_404(selectors.tokens_for(request.user), pk=token_id)
    services.revoke_token(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("api_console:tokens")
