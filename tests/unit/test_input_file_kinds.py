"""Input files are judged by kind, head and size before they are read, and OS errors read well.

Named pipes and devices are refused from ``os.stat`` (they would hang or never end); only the
first and last bytes are read to tell a format; a broken workbook or Parquet file, a
runaway-nested or absurdly long config value is one clear error; an operating-system error
names the user's path, not a hidden temporary sibling.
"""

from __future__ import annotations

import errno
import io
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from quasimarket.errors import ConfigError, InputError, from_os_error, user_path
from quasimarket.io import config_files, tables
from quasimarket.io.config_files import (
    MAX_CONFIG_DEPTH,
    check_config_values,
    parse_toml,
    read_config_text,
)
from quasimarket.io.tables import read_excel_sheets, read_table

pytestmark = pytest.mark.unit


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe with a writer waiting: a reader that wrongly opens it sees EOF, not a hang."""
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)

    def write_end() -> None:
        with open(path, "wb"):
            pass

    writer = threading.Thread(target=write_end, daemon=True)
    writer.start()
    yield path
    os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # releases the waiting writer
    writer.join(timeout=10)


def test_a_fifo_table_is_refused_without_opening_it(fifo: Path) -> None:
    with pytest.raises(InputError, match="named pipe") as caught:
        read_table(fifo)
    assert caught.value.file == str(fifo)


def test_a_fifo_config_is_refused(fifo: Path) -> None:
    with pytest.raises(ConfigError, match="named pipe"):
        read_config_text(fifo, what="contract")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("reader", [read_table, lambda p: read_config_text(p, what="scenario")])
def test_a_device_is_refused(reader: object) -> None:
    with pytest.raises((InputError, ConfigError), match="character device"):
        reader("/dev/zero")  # type: ignore[operator]


def test_the_format_is_judged_from_the_head_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the whole file"))
    assert list(read_table(path)["a"]) == [1, 2]
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    assert list(read_table(csv)["a"]) == [1]


def test_an_empty_table_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty"):
        read_table(path, what="activity table")


def test_a_truncated_parquet_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": range(100)}).to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_table(path)


def test_a_corrupt_parquet_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    with pytest.raises(InputError, match="Parquet file is corrupt") as caught:
        read_table(path)
    assert "Parquet" in (caught.value.fix or "")


def _workbook(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="one", index=False)
        pd.DataFrame({"b": [2]}).to_excel(writer, sheet_name="two", index=False)
    return path


def test_read_excel_sheets_reads_every_sheet(tmp_path: Path) -> None:
    sheets = read_excel_sheets(_workbook(tmp_path))
    assert list(sheets) == ["one", "two"]


@pytest.mark.parametrize("damage", ["truncate", "not-a-workbook", "cut-xml"])
def test_a_broken_workbook_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    path = _workbook(tmp_path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "not-a-workbook":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hi")
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as archive:
            for item in source.namelist():
                part = source.read(item)
                archive.writestr(item, part[: len(part) // 2] if "sheet" in item else part)
    for read in (read_table, read_excel_sheets):
        with pytest.raises(InputError, match="not a valid, complete Excel workbook") as caught:
            read(path)
        assert caught.value.file == str(path)


def test_a_broken_tariff_workbook_is_a_clear_error(tmp_path: Path) -> None:
    from quasimarket.tariff import load_tariff

    path = tmp_path / "tariff.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="tariff workbook"):
        load_tariff(path)


def test_the_first_bad_utf8_byte_is_found_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    line = "a,b\n"
    # a two-byte character straddles the 1 MiB chunk boundary; the bad byte is after it
    head = "x" * (1024**2 - 1) + "\u00e9" + "\n"
    path.write_bytes(line.encode() + head.encode() + b"caf\xe9\n")
    assert tables._first_bad_utf8(path) == (3, 0xE9)


def test_a_permission_denied_table_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n")

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "stat", denied)
    with pytest.raises(InputError, match="permission denied"):
        read_table(path)


# -- config files ----------------------------------------------------------------------------


def test_valid_files_with_brackets_in_strings_and_comments_pass(tmp_path: Path) -> None:
    text = (
        "# [[[[[[[[[[ a comment with brackets\n"
        'name = "a [ string { with ] brackets"\n'
        "path = 'C:\\[not\\{nested'\n"
        'notes = """\n' + "[" * 200 + '\n"""\n'
        "[[lines]]\n"
        "id = 'x'\n"
        "values = [[1, 2], [3, [4, {a = [5]}]]]\n"
    )
    path = tmp_path / "ok.toml"
    path.write_text(text)
    data = parse_toml(read_config_text(path, what="contract"), source=str(path))
    assert data["lines"][0]["values"][1][1][1] == {"a": [5]}


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000,
        "a = " + "{b = " * 5000 + "1" + "}" * 5000,
        ".".join(["a"] * 5000) + " = 1",
        "[" + ".".join(["t"] * 500) + "]\nx = 1",
    ],
    ids=["arrays", "inline-tables", "dotted-keys", "table-header"],
)
def test_runaway_nesting_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_toml(read_config_text(path, what="contract"), source=str(path))


def test_deep_json_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        read_config_text(path, what="achievement")


def test_nesting_up_to_the_limit_is_allowed() -> None:
    text = "a = " + "[" * (MAX_CONFIG_DEPTH - 1) + "]" * (MAX_CONFIG_DEPTH - 1)
    parse_toml(text, source="s")


def test_a_huge_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="too long") as caught:
        parse_toml('[[providers]]\nname = "' + "x" * 100_000 + '"\n', source="c.toml")
    assert caught.value.location == "providers > #1 > name"
    assert "200 characters for 'name'" in (caught.value.expected or "")
    assert len(caught.value.render()) < 500


def test_long_text_outside_names_is_allowed_up_to_its_limit() -> None:
    check_config_values({"description": "x" * config_files.MAX_TEXT_CHARS}, source="s")
    with pytest.raises(ConfigError, match="too long"):
        check_config_values({"description": "x" * (config_files.MAX_TEXT_CHARS + 1)}, source="s")
    with pytest.raises(ConfigError, match="key is"):
        check_config_values({"k" * 1000: 1}, source="s")


def test_a_config_larger_than_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * (config_files.MAX_PARSE_BYTES + 10))
    with pytest.raises(ConfigError, match="too large"):
        read_config_text(path, what="contract", max_bytes=10**12)


# -- operating-system errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("out/.statement.csv.tmp-0123456789ab", "out/statement.csv"),
        ("runs/.2026-run.tmp-abcdefabcdef/summary.parquet", "runs/2026-run/summary.parquet"),
        ("runs/.catalog.duckdb.tmp-0123456789ab.wal", "runs/catalog.duckdb"),
        ("runs/.r1.deleted-0123456789ab", "runs/r1"),
        ("out/.hidden-but-mine.csv", "out/.hidden-but-mine.csv"),
        ("out/..tmp-0123456789ab", "out"),
        ("./x.csv", "./x.csv"),
        (None, None),
    ],
)
def test_user_path_names_the_target_not_the_temporary_sibling(
    given: str | None, shown: str | None
) -> None:
    assert user_path(given) == shown


def test_user_path_of_the_current_folder_is_absolute() -> None:
    assert user_path(".") == os.getcwd()
    assert user_path("..tmp-0123456789ab") == os.getcwd()  # the temporary sibling of "."


def test_os_errors_have_a_fix_and_no_none() -> None:
    for code in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EBUSY, errno.ESTALE):
        error = from_os_error(OSError(code, os.strerror(code)))
        assert "None" not in error.render()
        assert error.fix
    renamed = OSError(errno.EXDEV, "x", "a/.b.tmp-0123456789ab", None, "c/b")
    assert from_os_error(renamed).problem == "cannot move a/b -> c/b across disks"
    assert (
        from_os_error(OSError(errno.ENOSPC, "x"), target="out/x.csv").problem
        == "no space left on device while writing out/x.csv"
    )


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_an_empty_config_says_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "contract.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="the contract file is empty"):
        read_config_text(path, what="contract")


def test_one_absurd_value_does_not_flood_a_message() -> None:
    from quasimarket.errors import summarise_items

    shown = summarise_items(["SR001", "X" * 100_000])
    assert shown.startswith("SR001, XXX")
    assert "(100,000 characters)" in shown
    assert len(shown) < 120


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "activity.csv"
    path.write_text("record_id,age,age\n1,40,41\n")
    with pytest.raises(InputError, match="names column 'age' twice"):
        read_table(path, what="activity table")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"a,b",a\n1,2\n')  # "a,b" is one column: not a duplicate
    assert list(read_table(quoted).columns) == ["a,b", "a"]


def test_blank_lines_only_say_there_is_no_header(tmp_path: Path) -> None:
    path = tmp_path / "activity.csv"
    path.write_text("\n\n   \n")
    with pytest.raises(InputError, match="no header row"):
        read_table(path, what="activity table")


def test_title_rows_above_the_header_are_named(tmp_path: Path) -> None:
    path = tmp_path / "apc.csv"
    path.write_text("National Tariff - Annex A\nNational prices\n\nHRG code,Price\nAA22C,100\n")
    with pytest.raises(InputError) as caught:
        read_table(path, what="tariff table")
    assert "header" in caught.value.render()
    assert "tokenizing" not in caught.value.render()


@pytest.mark.parametrize("under", ["x.csv", "x.csv/a"])
def test_an_output_folder_under_a_file_names_the_file_and_keeps_it(
    tmp_path: Path, under: str
) -> None:
    (tmp_path / "x.csv").write_text("a\n1\n")
    code = errno.EEXIST if under == "x.csv" else errno.ENOTDIR
    error = from_os_error(OSError(code, os.strerror(code), str(tmp_path / under)))
    assert error.problem == f"cannot make a folder at {tmp_path / 'x.csv'}: it is a file"
    assert "remove" not in error.render()
