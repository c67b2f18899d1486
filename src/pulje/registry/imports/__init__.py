"""Reading and checking a register file (CSV or XLSX) before anything is written.

``reading`` turns the file into a ``SourceTable``; ``checking`` (the housing register) and
``associations`` (partner organisations) check its rows against each other and against facts
about the register, given as plain data. None touches the database:
``services.housing_import`` and ``services.association_import`` read those facts and write
the rows that pass. The formats are described in docs/registry-import.md.
"""

from pulje.registry.imports.associations import (
    ASSOCIATION_COLUMNS,
    AssociationRow,
    check_associations,
)
from pulje.registry.imports.checking import (
    HousingRow,
    ImportRefused,
    RegistryFacts,
    check_rows,
)
from pulje.registry.imports.reading import (
    Columns,
    ImportFileError,
    Rejection,
    SourceRow,
    SourceTable,
    default_report_path,
    read_data,
    read_table,
    write_rejections,
)

__all__ = [
    "ASSOCIATION_COLUMNS",
    "AssociationRow",
    "Columns",
    "HousingRow",
    "ImportFileError",
    "ImportRefused",
    "RegistryFacts",
    "Rejection",
    "SourceRow",
    "SourceTable",
    "check_associations",
    "check_rows",
    "default_report_path",
    "read_data",
    "read_table",
    "write_rejections",
]
