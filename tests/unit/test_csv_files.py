"""Reading uploaded CSV files whatever saved them, and writing downloads a spreadsheet cannot run."""
import codecs
import io

import pytest

from console.csv_files import (UnreadableFile, csv_lines, detect_encoding, records, safe_cell, sniff_delimiter,
                               text_stream)

TEXT = "first_name,last_name,company\nZoë,Brontë,Café Crème\n"


def opener(data: bytes):
    return lambda: io.BytesIO(data)


@pytest.mark.parametrize("data, expected", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),  # with its BOM
    (TEXT.encode("utf-16-le"), "utf-16-le"),
    (TEXT.encode("utf-16-be"), "utf-16-be"),
    (TEXT.encode("cp1252"), "cp1252"),
])
def test_each_encoding_a_spreadsheet_saves_is_recognised_and_reads_back_the_same_text(data, expected):
    encoding = detect_encoding(opener(data))
    assert encoding == expected
    assert text_stream(io.BytesIO(data), encoding).read().lstrip("\ufeff") == TEXT


def test_a_file_that_is_utf8_until_its_last_megabyte_is_read_as_windows_1252():
    data = ("a,b\n" + "x,y\n" * 400_000).encode() + "é,ü\n".encode("cp1252")
    assert detect_encoding(opener(data)) == "cp1252"


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x81\x8d\x8f" * 50,
                                  b"a,b\n\x81\x8d\x8f\x90\x9d\n"])
def test_an_empty_or_binary_file_is_refused_with_a_reason(data):
    with pytest.raises(UnreadableFile):
        detect_encoding(opener(data))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found_from_the_first_lines(delimiter):
    sample = delimiter.join(["name", "phone", "company"]) + "\n" + delimiter.join(["Ann", "+1 212 555 0101", "A, Inc"]) + "\n"
    assert sniff_delimiter(sample) == delimiter


def test_a_single_column_file_reads_as_comma_separated():
    assert sniff_delimiter("phone\n+12125550101\n") == ","


def test_records_carry_the_line_they_start_on_across_quoted_newlines_and_empty_lines():
    text = 'name,notes\nAnn,"two\nlines"\n\n,\nBob,ok\n'
    assert list(records(io.StringIO(text), ",")) == [
        (1, ["name", "notes"]), (2, ["Ann", "two\nlines"]), (6, ["Bob", "ok"])]


def test_a_one_megabyte_cell_is_read():
    big = "x" * 1_000_000
    assert list(records(io.StringIO(f"a,b\n1,{big}\n"), ","))[1][1][1] == big


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1 212 555 0101", "'+1 212 555 0101"),
    ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Acme", "Acme"), (None, ""), (42, "42")])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value, expected):
    assert safe_cell(value) == expected


def test_written_lines_are_valid_csv_with_safe_cells():
    written = "".join(csv_lines([["a", "=1+1"], ["b,c", "ok"]]))
    assert written == "a,'=1+1\r\n\"b,c\",ok\r\n"
