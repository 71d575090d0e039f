"""Reading a file of phone numbers (the do-not-call upload): every line normalised, accounted for, with its line number.

The file is CSV or plain text in any encoding console.csv_files reads: a single column of numbers (with or
without a header), or several columns one of which is headed phone, number or telephone. Each distinct
number is normalised once (a file of 100,000 numbers repeats many). No database, no Flask request.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from console.csv_files import UnreadableFile, detect_encoding, records, sniff_delimiter, text_stream
from console.leads.rules import InvalidPhoneNumber, normalise_phone

# A larger file is refused before it is read: 10 MB is some 600,000 numbers.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Headers that name the column of numbers, as people write them (compared lower case, words only).
NUMBER_HEADERS = ("phone", "number", "telephone", "phone number", "telephone number", "tel", "mobile",
                  "phone no", "cell")
HEADER_WORDS = ("phone", "telephone")
# How much of an invalid value the result shows (a pasted paragraph is not a number).
SHOWN_VALUE = 80


@dataclass(frozen=True)
class InvalidLine:
    line: int
    value: str
    reason: str


@dataclass
class NumberFile:
    """What a file of numbers holds: its distinct valid numbers in file order (E.164), and every other line."""

    numbers: list[str] = field(default_factory=list)
    repeated: int = 0  # lines whose number an earlier line already gave
    invalid: list[InvalidLine] = field(default_factory=list)
    header: str | None = None  # the header of the column read, when there was one
    encoding: str = ""

    @property
    def lines(self) -> int:
        return len(self.numbers) + self.repeated + len(self.invalid)


def _words(cell: str) -> str:
    return " ".join(re.findall(r"[a-z]+", cell.lower()))


def number_column(header: list[str]) -> int | None:
    """The column of a header row that holds the numbers: one named as NUMBER_HEADERS, else one naming a phone."""
    words = [_words(cell) for cell in header]
    for index, cell in enumerate(words):
        if cell in NUMBER_HEADERS:
            return index
    for index, cell in enumerate(words):
        if any(word in cell.split() for word in HEADER_WORDS):
            return index
    return None


def _why(error: InvalidPhoneNumber) -> str:
    if str(error).startswith("not a valid number"):
        return "Not a valid number: wrong length, or no such area code."
    return "Not a phone number."


def read_numbers(data: bytes, default_region: str = "US") -> NumberFile:
    """Read an uploaded file of numbers. Raises UnreadableFile (its message says why, for people) when the file
    cannot be read at all: not text, or several columns and none of them the numbers."""
    encoding = detect_encoding(lambda: io.BytesIO(data))
    delimiter = sniff_delimiter(text_stream(io.BytesIO(data), encoding).read(64 * 1024))
    text = text_stream(io.BytesIO(data), encoding)
    result = NumberFile(encoding=encoding)
    column = None
    normalised: dict[str, str | InvalidPhoneNumber] = {}
    seen: set[str] = set()
    try:
        for line, row in records(text, delimiter):
            if column is None:
                column = number_column(row)
                if column is not None:
                    result.header = row[column].strip()
                    continue
                if len(row) > 1:
                    raise UnreadableFile(
                        f"The file has {len(row)} columns and none is headed phone, number or telephone: give the "
                        "column of numbers one of those headers, or upload a file with the numbers alone.")
                column = 0
                if not re.search(r"\d", row[0]):
                    result.header = row[0].strip()  # a single column's title ("Numbers to block")
                    continue
            raw = (row[column] if column < len(row) else "").strip()
            if not raw:
                result.invalid.append(InvalidLine(line, "", "No number on this line."))
                continue
            e164 = normalised.get(raw)
            if e164 is None:
                try:
                    e164 = normalise_phone(raw, default_region)
                except InvalidPhoneNumber as error:
                    e164 = error
                normalised[raw] = e164
            if isinstance(e164, InvalidPhoneNumber):
                result.invalid.append(InvalidLine(line, raw[:SHOWN_VALUE], _why(e164)))
            elif e164 in seen:
                result.repeated += 1
            else:
                seen.add(e164)
                result.numbers.append(e164)
    except csv.Error as error:
        raise UnreadableFile(f"The file is not readable as CSV: {error}.") from None
    except UnicodeDecodeError:
        raise UnreadableFile("The file changes encoding part way through: save it again as UTF-8.") from None
    return result
