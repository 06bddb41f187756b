"""gunicorn's logger with Testigo's address scrubber on its error and access logs.

gunicorn logs through its own "gunicorn.error" logger, which neither propagates to Django's
LOGGING nor passes through its filters: a malformed request line was logged as
"Invalid request from ip=203.0.113.7: ...". `testigo serve` passes this class to gunicorn
(--logger-class), so every line gunicorn writes goes through StripClientMetadata."""

from __future__ import annotations

from gunicorn.glogging import Logger

from testigo.core.logging import StripClientMetadata


class ScrubbedLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        scrubber = StripClientMetadata()
        for log in (self.error_log, self.access_log):
            # On the logger (every record it creates) and on each handler (records that
            # reach it from elsewhere, e.g. a propagating child logger).
            if not any(isinstance(f, StripClientMetadata) for f in log.filters):
                log.addFilter(scrubber)
            for handler in log.handlers:
                if not any(isinstance(f, StripClientMetadata) for f in handler.filters):
                    handler.addFilter(scrubber)
