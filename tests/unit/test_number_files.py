"""Reading a file of numbers for the do-not-call list: every line accounted for, with its line number."""
import codecs

import pytest

from console.csv_files import UnreadableFile
from console.leads.number_files import InvalidLine, read_numbers

LINES = ["(212) 555-0101", "212.555.0102", "+1 212 555 0101", "12345", "", "1-212-555-0103"]


def test_a_single_column_without_header_is_read_line_by_line():
    result = read_numbers(("\n".join(LINES) + "\n").encode())
    assert result.numbers == ["+12125550101", "+12125550102", "+12125550103"]
    assert result.repeated == 1  # line 3 is line 1's number
    assert result.invalid == [InvalidLine(4, "12345", "Not a valid number: wrong length, or no such area code.")]
    assert result.header is None
    assert result.lines == 5  # the empty line is no line of data


def test_a_single_columns_title_is_its_header():
    result = read_numbers(b"Numbers to block\n(212) 555-0101\n")
    assert (result.header, result.numbers, result.invalid) == ("Numbers to block", ["+12125550101"], [])


@pytest.mark.parametrize("header", ["phone", "Phone Number", "TELEPHONE", "number", "mobile phone"])
def test_the_column_headed_phone_number_or_telephone_is_read(header):
    data = f"name;{header};company\nAnn;(212) 555-0101;Acme\nBob;;Beta\nCy;hello;Gamma\n".encode()
    result = read_numbers(data)
    assert result.header == header
    assert result.numbers == ["+12125550101"]
    assert result.invalid == [InvalidLine(3, "", "No number on this line."), InvalidLine(4, "hello", "Not a phone number.")]


def test_several_columns_none_of_them_numbers_are_refused_before_anything_is_read():
    with pytest.raises(UnreadableFile, match="none is headed phone, number or telephone"):
        read_numbers(b"name,company\nAnn,Acme\n")


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-16"),
    lambda text: text.encode("cp1252"),
])
def test_every_encoding_a_spreadsheet_saves_gives_the_same_numbers_and_lines(encode):
    text = 'Nom,Téléphone\r\nZoë,"(212) 555-0101"\r\nRenée,"+1 212 555 0102"\r\n"Multi\r\nline",nope\r\n'
    result = read_numbers(encode(text))
    assert result.numbers == ["+12125550101", "+12125550102"]
    assert result.invalid == [InvalidLine(4, "nope", "Not a phone number.")]  # the record begins on line 4


def test_a_file_that_is_not_text_is_refused_with_a_reason():
    with pytest.raises(UnreadableFile, match="not text"):
        read_numbers(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 20)


def test_a_long_invalid_value_is_shown_by_its_beginning():
    result = read_numbers(("phone\n" + "x" * 5000 + "\n").encode())
    assert result.invalid[0].value == "x" * 80
