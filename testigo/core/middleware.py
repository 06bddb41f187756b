from __future__ import annotations


class SecureCookiesOverHttpsMiddleware:
    """Mark every cookie Secure when the request came over HTTPS.

    Testigo is often reached both by http://127.0.0.1 on the NGO's laptop and by HTTPS behind a
    proxy, so a fixed SESSION_COOKIE_SECURE would either break the first or weaken the second.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
