"""Signals other apps hook into at the moments only the login and password views see.

The tip-line vault needs the staff member's password at login (to unwrap the organisation key
into the session) and at password change (to re-wrap it). Django's own user_logged_in signal
does not carry the password, so the console login and password-change views send these.
"""

from django.dispatch import Signal

# sent with: request, user, password — after authentication succeeded, before redirecting
staff_password_verified = Signal()
# sent with: request, user, old_password, new_password — after the new password was saved
staff_password_changed = Signal()
