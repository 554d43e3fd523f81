"""Safe reading of user files and atomic writing of results."""

from quasimarket.io.atomic import atomic_dir, atomic_write_bytes, atomic_write_text
from quasimarket.io.tables import MAX_INPUT_BYTES, read_table, require_columns

__all__ = [
    "MAX_INPUT_BYTES",
    "atomic_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "read_table",
    "require_columns",
]
