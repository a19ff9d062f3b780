"""Fixtures every test folder may use."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A common host umask (022), so a file's mode is decided by Blether, not by the machine's setting."""
    old = os.umask(0o022)
    yield
    os.umask(old)
