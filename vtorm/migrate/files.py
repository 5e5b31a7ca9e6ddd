"""Record files: JSON Lines (``.jsonl``) and CSV (``.csv``), chosen by extension.

Both are read and written one record at a time, so memory does not grow with
the file. CSV is read as UTF-8 (a byte-order mark, as spreadsheets write it,
is skipped); every cell is text and an empty cell is an empty value. JSON
Lines holds one object per line, with JSON's own booleans, numbers, lists and
null.

A line that cannot be read as a record (bad JSON, a CSV row longer than its
header) is not fatal: it comes back as a :class:`BadLine`, to be rejected with
its reason like any other row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import attrs

from vtorm.errors import VtormError

__all__ = [
    "FORMATS",
    "BadLine",
    "RecordWriter",
    "count_records",
    "file_format",
    "fingerprint",
    "read_records",
]

FORMATS: Final = (".jsonl", ".csv")


class FileFormatError(VtormError, ValueError):
    """A file whose name or header says it cannot be read or written as records."""


@attrs.frozen
class BadLine:
    """A line of the input that is not a record, and why."""

    line: int
    text: str
    reason: str


def file_format(path: str | Path) -> str:
    """``".jsonl"`` or ``".csv"``, from the file name (``.ndjson`` counts as JSON Lines)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".ndjson":
        return ".jsonl"
    if suffix not in FORMATS:
        raise FileFormatError(f"{path}: expected a .jsonl or .csv file")
    return suffix


def fingerprint(path: str | Path) -> str:
    """A hash of the file's bytes: the same input on a rerun has the same one."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


def count_records(path: str | Path, *, delimiter: str = ",") -> int:
    """How many records the file holds (a quick pass, for a progress bar's total)."""
    return sum(1 for _ in read_records(path, delimiter=delimiter))


def read_records(
    path: str | Path, *, delimiter: str = ","
) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """``(record number, record)`` for each record of the file, in order.

    The number is the line of the file the record starts on (in a CSV file
    the header is line 1, so the first record is line 2, as a spreadsheet
    numbers its rows).
    """
    kind = file_format(path)
    if kind == ".jsonl":
        return _jsonl(path)
    return _csv(path, delimiter)


def _jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, BadLine(number, line.rstrip("\n"), f"not JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield number, BadLine(number, line.rstrip("\n"), "not a JSON object")
                continue
            yield number, record


def _csv(path: str | Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        columns = [name.strip() for name in header]
        _check_delimiter(path, columns, delimiter)
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise FileFormatError(f"{path}: the header repeats column(s) {', '.join(repeated)}")
        while True:
            # The line the record starts on, as an editor or a spreadsheet numbers
            # it (the header is line 1); a quoted cell may span several lines.
            number = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) > len(columns):
                text = delimiter.join(cells)
                yield number, BadLine(
                    number, text, f"{len(cells)} cells for {len(columns)} columns"
                )
                continue
            cells += [""] * (len(columns) - len(cells))
            yield number, dict(zip(columns, cells, strict=True))


# Cell separators spreadsheets write, by the names a user knows them by.
_SEPARATORS = {";": "';'", "\t": "a tab ('\\t')", ",": "','", "|": "'|'"}


def _check_delimiter(path: str | Path, columns: list[str], delimiter: str) -> None:
    """Refuse a header that is one column holding another separator: the wrong delimiter.

    A spreadsheet saved with ';' (the default where ',' is the decimal comma)
    or tabs read with ',' gives one column per line, named after the whole header.
    """
    if len(columns) != 1:
        return
    for separator, name in _SEPARATORS.items():
        if separator != delimiter and separator in columns[0]:
            option = "--delimiter '\\t'" if separator == "\t" else f"--delimiter '{separator}'"
            raise FileFormatError(
                f"{path}: the header is one column, {columns[0]!r}: its cells seem to be "
                f"separated by {name}, not {delimiter!r}; read it with {option} "
                f"(delimiter={separator!r} from Python)"
            )


class RecordWriter:
    """Writes records to ``path`` (JSON Lines or CSV); the file appears when closed.

    Records are written to ``<path>.part`` and renamed over ``path`` by
    :meth:`close`, so an interrupted export never leaves a partial file under
    the final name. CSV needs its ``columns`` up front.
    """

    def __init__(self, path: str | Path, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.kind = file_format(path)
        self.columns = list(columns)
        self.count = 0
        self._part = self.path.with_name(self.path.name + ".part")
        folder = self.path.parent
        if not folder.is_dir():
            # Said here, or the error would name the .part file.
            raise FileNotFoundError(
                f"cannot write {self.path}: the directory {folder} does not exist"
            )
        self._handle: IO[str] = open(self._part, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._handle) if self.kind == ".csv" else None
        if self._csv is not None:
            self._csv.writerow(self.columns)

    def write(self, record: Mapping[str, Any]) -> None:
        """Add one record (JSON values for JSON Lines, text cells for CSV)."""
        if self._csv is not None:
            self._csv.writerow([record.get(c, "") for c in self.columns])
        else:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        """Finish the file and give it its name."""
        self._handle.close()
        os.replace(self._part, self.path)

    def abort(self) -> None:
        """Drop what was written."""
        self._handle.close()
        self._part.unlink(missing_ok=True)

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
