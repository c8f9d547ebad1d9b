"""Shared fixtures: a tiny valid data folder (see tests/fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import write_tiny_case


@pytest.fixture
def tiny_case_dir(tmp_path: Path) -> Path:
    """A fresh copy of the tiny case in a temporary folder (safe to edit)."""
    return write_tiny_case(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def normal_verbosity():
    """Every test starts at the CLI's default verbosity: an in-process `-q` or `-v` run of an
    earlier test must not silence (or widen) a later one's output, whatever the order or worker
    (pytest -n runs the suite in another order)."""
    from optimizer import console

    console.set_verbosity(1)
    yield
    console.set_verbosity(1)
