"""Numbered SQL migrations, applied in order by yoyo (see ``api.migrate``)."""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
