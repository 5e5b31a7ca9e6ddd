"""Reading and writing record files (vtorm.migrate.files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from crm_models import Contacts
from migrate_helpers import rows

import vtorm
from vtorm.migrate import import_file
from vtorm.migrate.files import BadLine, FileFormatError, RecordWriter, read_records
from vtorm.migrate.report import Rejects


def test_bad_lines_are_rejected_with_their_reason(tmp_path: Path, client: vtorm.Client) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"lastname": "Ok", "email": "ok@x.org"}\n'
        "\n"
        "{not json\n"
        '["a", "list"]\n'
        '{"lastname": "Also", "email": "also@x.org"}\n',
        encoding="utf-8",
    )
    read = list(read_records(path))
    assert [n for n, _ in read] == [1, 3, 4, 5]
    assert isinstance(read[1][1], BadLine) and "not JSON" in read[1][1].reason
    rejects = Rejects()
    counts = import_file(Contacts, path, key=["email"], client=client, rejects=rejects)
    assert (counts.read, counts.created, counts.rejected) == (4, 2, 2)
    assert sorted(r["line"] for r in rejects.first) == [3, 4]
    assert len(rows(client, "Contacts")) == 2


def test_csv_with_a_byte_order_mark_short_and_long_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("\ufefflastname,email\nLee,l@x.org\nShort\nA,b,c\n".encode())
    read = list(read_records(path))
    assert read[0] == (2, {"lastname": "Lee", "email": "l@x.org"})
    assert read[1] == (3, {"lastname": "Short", "email": ""})
    assert isinstance(read[2][1], BadLine) and "3 cells for 2 columns" in read[2][1].reason
    assert read[2][0] == read[2][1].line == 4


def test_csv_records_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    # As an editor or a spreadsheet numbers them: the header is line 1, and a
    # quoted cell holding a line break makes the next record start further down.
    path = tmp_path / "in.csv"
    path.write_text('lastname,description\nLee,"two\nlines"\n\nRay,one\n', encoding="utf-8")
    assert [number for number, _ in read_records(path)] == [2, 5]


@pytest.mark.parametrize(
    ("separator", "option"), [(";", "--delimiter ';'"), ("\t", "--delimiter '\\t'")]
)
def test_a_csv_read_with_the_wrong_delimiter_names_the_right_one(
    tmp_path: Path, separator: str, option: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"lastname{separator}email\nLee{separator}l@x.org\n", encoding="utf-8")
    with pytest.raises(FileFormatError) as caught:
        list(read_records(path))
    assert "its cells seem to be separated by" in str(caught.value)
    assert f"read it with {option} (delimiter={separator!r} from Python)" in str(caught.value)
    assert list(read_records(path, delimiter=separator)) == [
        (2, {"lastname": "Lee", "email": "l@x.org"})
    ]


def test_a_one_column_csv_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email\nl@x.org\n", encoding="utf-8")
    assert list(read_records(path)) == [(2, {"email": "l@x.org"})]


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,email\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="repeats column"):
        list(read_records(path))


def test_a_writer_shows_the_file_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), RecordWriter(path, ["id"]) as writer:
        writer.write({"id": "12x1"})
        raise RuntimeError("interrupted")
    assert not path.exists() and not (tmp_path / "out.csv.part").exists()
    with RecordWriter(path, ["id"]) as writer:
        writer.write({"id": "12x1"})
    assert path.read_text().splitlines() == ["id", "12x1"]
