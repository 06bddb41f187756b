"""Signals other apps listen to. Sent after the transaction commits, so receivers see the saved row."""

from django.dispatch import Signal

# Sent with `report` (a Report) once a report has been published and the change committed.
report_published = Signal()
# Sent with `report` once a report has been verified and the change committed.
report_verified = Signal()
# Sent with `report` and `fields` (the names of what changed) once an edit committed.
report_updated = Signal()
