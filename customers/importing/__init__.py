"""Fast customer import (CUS-10): XLSX/CSV → per-row checks → batched COPY / bulk_create.

Same upload checks, header mapping and report format as the generic engine, but every cell is
checked against the customer form's own rules (its fields, error messages and the model's
validators) by a per-column checker compiled once, and the created customers are written with
COPY in batches, by several connections while the next rows are checked (issue #3: 100,000
rows in ~5 s check + ~20 s commit on PostgreSQL here, most of it the database's own work).

Duplicates are looked for inside the file and in the database, by normalised name, phone or
mobile (either column matches either) and e-mail, with indexed lookups in batches. A row that
repeats an earlier row of the file is reported as "same customer as row N"; a row that matches
an existing customer is reported when it is skipped. Both follow the chosen strategy: skip,
update (the existing customer, or the one created from row N) or create. E-mails match in any
case inside the file, but in the database only as written or in lower case (the e-mail index
is on the column itself; find_duplicates' case-insensitive match would need one on UPPER()).

    form.py        CustomerImportForm (target, owner, duplicate strategy)
    checking.py    lookups, name_key, SearchTokens, per-column checks, RowChecker
    duplicates.py  duplicate keys, indexed lookups, existing_matches, Planner
    writing.py     _CreateWriter (COPY, parallel writers), _write_updates; BATCH, WRITERS
    runner.py      run_customer_import, _run, _Progress; PROGRESS_EVERY

The tuning constants live in the module that reads them: patch `writing.BATCH`,
`writing.WRITERS` or `runner.PROGRESS_EVERY` there (they are not re-exported here, so a patch
of this package fails loudly instead of changing nothing).
"""

from .checking import RowChecker, SearchTokens, name_key
from .duplicates import Planner, existing_matches
from .form import CustomerImportForm
from .runner import run_customer_import

__all__ = [
    "CustomerImportForm",
    "Planner",
    "RowChecker",
    "SearchTokens",
    "existing_matches",
    "name_key",
    "run_customer_import",
]
