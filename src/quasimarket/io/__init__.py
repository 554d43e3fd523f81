"""Safe reading of user files and atomic writing of results that never clobber."""

from quasimarket.io.atomic import atomic_dir, atomic_write_bytes, atomic_write_text
from quasimarket.io.outputs import (
    MARKER_FORMAT,
    MARKER_NAME,
    marker_path,
    output_folder,
    prepare_output,
    write_marker,
    write_output_file,
)
from quasimarket.io.tables import MAX_INPUT_BYTES, read_table, require_columns

__all__ = [
    "MARKER_FORMAT",
    "MARKER_NAME",
    "MAX_INPUT_BYTES",
    "atomic_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "marker_path",
    "output_folder",
    "prepare_output",
    "read_table",
    "require_columns",
    "write_marker",
    "write_output_file",
]
