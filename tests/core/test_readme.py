"""The README's configuration table documents every TESTIGO_* variable the settings read."""

import re
from pathlib import Path

import testigo.settings

ROOT = Path(testigo.settings.__file__).resolve().parent.parent


def test_every_setting_variable_is_in_the_readme_configuration_table():
    source = Path(testigo.settings.__file__).read_text()
    read = {f"TESTIGO_{name}" for name in re.findall(r'env(?:_bool)?\("([A-Z_]+)"', source)}
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"TESTIGO_[A-Z_]+", table))
    assert read, "no variables found: the pattern no longer matches settings.py"
    assert sorted(read - documented) == []


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
