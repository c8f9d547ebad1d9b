"""Shared fixtures: a tiny valid data folder (see tests/fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import write_tiny_case


@pytest.fixture
def tiny_case_dir(tmp_path: Path) -> Path:
    """A fresh copy of the tiny case in a temporary folder (safe to edit)."""
    return write_tiny_case(tmp_path / "tiny")
