"""The README stays true to the code."""

from __future__ import annotations

from helpers import ROOT
from tools.settings_table import README, readme_table_block, settings_table


def test_readme_settings_table_is_current():
    assert readme_table_block(README.read_text()) == settings_table(), (
        "run: .venv/bin/python -m tools.settings_table --write"
    )


def test_readme_opens_with_the_run_and_test_commands():
    first_block = README.read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["./setup.sh && .venv/bin/python app.py", "./run-tests.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./run-tests.sh" in ci
