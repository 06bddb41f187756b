"""Browser fixtures (browser, page, nojs_page) live in tests/conftest.py, shared by every test folder."""
