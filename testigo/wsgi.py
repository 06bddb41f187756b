import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
application = get_wsgi_application()

# Gateway webhooks skip the browser-only middleware (testigo/channels/wsgi.py).
from testigo.channels.wsgi import with_webhooks  # noqa: E402

application = with_webhooks(application)
