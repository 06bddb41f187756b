"""`testigo backup` / `testigo restore`: one encrypted archive holding the database, the media
directory, the tip line's sealed files and the settings that are not secrets.

- crypto.py: the archive's encrypted stream (to a passphrase or to a public key).
- database.py: copying the database out and in (SQLite's online backup API; pg_dump/pg_restore).
- services.py: making, verifying, restoring, scheduling and pruning archives.
"""
