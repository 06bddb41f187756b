"""Date formats per language (FORMAT_MODULE_PATH): one short and one long form each, used by
every page through testigo.core.dates, so a report shows the same date everywhere. Everything
not set here (input formats, separators) is Django's own for the language."""
