"""Reading and checking a housing register file (CSV or XLSX) before anything is written.

``reading`` turns the file into a ``SourceTable``; ``checking`` checks its rows against each other
and against facts about the register, given as plain data. Neither touches the database:
``services.housing_import.import_housing_registry`` reads those facts and writes the rows
that pass. The format is described in docs/registry-import.md.
"""

from pulje.registry.imports.checking import (
    HousingRow,
    ImportRefused,
    RegistryFacts,
    check_rows,
)
from pulje.registry.imports.reading import (
    ImportFileError,
    Rejection,
    SourceRow,
    SourceTable,
    default_report_path,
    read_table,
    write_rejections,
)

__all__ = [
    "HousingRow",
    "ImportFileError",
    "ImportRefused",
    "RegistryFacts",
    "Rejection",
    "SourceRow",
    "SourceTable",
    "check_rows",
    "default_report_path",
    "read_table",
    "write_rejections",
]
