"""One validation layer for every input table: declared limits, cross-field checks, dates.

* :mod:`~quasimarket.validation.schema`: the table of hard and plausibility limits per column
  (activity, tariff, MFF), each with its source;
* :mod:`~quasimarket.validation.bounds`: the one checker that applies a limit (refuse, or a note
  with counts);
* :mod:`~quasimarket.validation.dates`: explicit date formats (UK day-first when ambiguous);
* :mod:`~quasimarket.validation.activity`: checks between columns (LOS vs dates, readmission
  links, patient ids).

The readers (:mod:`quasimarket.activity.table`, :mod:`quasimarket.tariff.table`) call these;
they hold no limits of their own. Achievement and performance files are validated field by
field in :mod:`quasimarket.payment.input_files`, and contracts and scenarios by their pydantic
models.
"""

from quasimarket.validation.bounds import Bound, check_bound
from quasimarket.validation.dates import NO_DAY, parse_days

__all__ = ["NO_DAY", "Bound", "check_bound", "parse_days"]
