"""Importing data kept outside the application: the coordinators' legacy Excel database.

The parsing here is pure (no database); services save what it returns.
"""

from avestavard.imports.legacy_xlsx import (
    HostRecord,
    Issue,
    LegacyImport,
    LegacyImportError,
    MatchRecord,
    NewcomerRecord,
    SheetInfo,
    SourceRow,
    UnknownColumn,
    parse_legacy_workbook,
)
from avestavard.imports.normalize import NormalizationError, UnknownLanguageError

__all__ = [
    "HostRecord",
    "Issue",
    "LegacyImport",
    "LegacyImportError",
    "MatchRecord",
    "NewcomerRecord",
    "NormalizationError",
    "SheetInfo",
    "SourceRow",
    "UnknownColumn",
    "UnknownLanguageError",
    "parse_legacy_workbook",
]
