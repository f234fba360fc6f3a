"""Catalog: console (see relance.engine.catalog). Module-level Phrase constants only."""

from __future__ import annotations

from relance.engine.i18n import Phrase

__all__ = ["Phrase"]
