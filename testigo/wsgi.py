import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
application = get_wsgi_application()

# gunicorn started by hand (not through `testigo serve`) refuses a multi-node configuration without
# the shared secrets too: each worker would otherwise run with secrets no other node has.
from testigo.core.nodes import refuse_without_shared_secrets  # noqa: E402

refuse_without_shared_secrets()

# Gateway webhooks skip the browser-only middleware (testigo/channels/wsgi.py).
from testigo.channels.wsgi import with_webhooks  # noqa: E402

application = with_webhooks(application)
