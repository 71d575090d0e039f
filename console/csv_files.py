"""CSV files in and out: reading what people upload (whatever a spreadsheet saved) and writing files they download.

Reading: `detect_encoding` names the encoding of a whole file (UTF-8 with or without BOM, UTF-16 with BOM
or recognisably UTF-16 without, Windows-1252) or refuses it, `sniff_delimiter` finds the delimiter from the
first lines, and `records` streams the records with the line each starts on, so a million-row file is never
held in memory.

Writing: a cell a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return) is
written with a leading apostrophe (OWASP's "CSV injection" advice), so that a value someone typed into a lead or
an audit detail comes back as text. `csv_download` streams rows as an attachment.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from flask import Response, stream_with_context

# What the console can read, as Python names it; the first that decodes the whole file wins.
UTF8, UTF8_BOM, UTF16, WINDOWS_1252 = "utf-8", "utf-8-sig", "utf-16", "cp1252"
ENCODING_LABELS = {UTF8: "UTF-8", UTF8_BOM: "UTF-8 (with BOM)", UTF16: "UTF-16", "utf-16-le": "UTF-16 LE",
                   "utf-16-be": "UTF-16 BE", WINDOWS_1252: "Windows-1252"}
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_LABELS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}

# The csv module's default field limit is 128 kB; a 1 MB cell (a pasted document) is read, not refused.
FIELD_LIMIT = 8 * 1024 * 1024
csv.field_size_limit(FIELD_LIMIT)

_READ_SIZE = 1 << 20


class UnreadableFile(ValueError):
    """The file cannot be read as text in an encoding the console knows; the message says why, for people."""


def _has_utf16_shape(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text has a NUL in every other byte. Returns which byte order, if so."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in chunks:
            if "\x00" in decoder.decode(chunk):
                return False  # a NUL in text: a binary file, or the wrong encoding
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(open_file) -> str:
    """The encoding of the file that `open_file()` opens afresh (a binary stream), read through once per try.

    Raises UnreadableFile when no known encoding decodes every byte of it.
    """
    with open_file() as stream:
        head = stream.read(4096)
    if not head:
        raise UnreadableFile("The file is empty.")
    if head.startswith(codecs.BOM_UTF8):
        candidates = [UTF8_BOM]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [UTF16]
    elif (byte_order := _has_utf16_shape(head)) is not None:
        candidates = [byte_order]
    else:
        candidates = [UTF8, WINDOWS_1252]
    for encoding in candidates:
        with open_file() as stream:
            if _decodes(iter(lambda: stream.read(_READ_SIZE), b""), encoding):
                return encoding
    raise UnreadableFile("The file is not text in an encoding the console reads (UTF-8, UTF-16 or Windows-1252): "
                         "it may be a spreadsheet (.xlsx) or another binary file. Save it as CSV and try again.")


def text_stream(binary: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """The file as text, lines kept as they are (newline="" as the csv module wants)."""
    return io.TextIOWrapper(binary, encoding=encoding, newline="")


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV text from its first lines: the candidate that splits the header and the rows
    below it into the same number of cells (more than one), the commonest such; a comma if none does."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_cells = ",", 1
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        except csv.Error:
            continue
        header_cells = counts[0]
        consistent = sum(1 for count in counts if count == header_cells)
        if header_cells > best_cells and consistent >= max(1, len(counts) // 2):
            best, best_cells = delimiter, header_cells
    return best


def records(text: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every record of a CSV text with the physical line it starts on (1 is the first line), empty lines skipped.

    A quoted cell may hold newlines: the record's line is where it begins. Raises csv.Error (with the
    line) on a record the csv module cannot read.
    """
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    line = 1
    for row in reader:
        if row and any(cell.strip() for cell in row):
            yield line, row
        line = reader.line_num + 1


# ---------------------------------------------------------------- files people download

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A value as a CSV cell a spreadsheet shows as text: a would-be formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """A file object that hands back what the csv writer wrote for one row."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Rows as CSV text, one line at a time, every cell made safe."""
    line = _Line()
    writer = csv.writer(line)
    for row in rows:
        line.text = ""
        writer.writerow([safe_cell(cell) for cell in row])
        yield line.text


def csv_download(rows: Iterable[Iterable], filename: str) -> Response:
    """A streamed CSV attachment (UTF-8 with a BOM, so that spreadsheets read accents right)."""
    def body():
        yield "\ufeff"
        yield from csv_lines(rows)

    response = Response(stream_with_context(body()), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=filename)  # quoted and encoded by Werkzeug
    response.headers["Cache-Control"] = "no-store"
    return response
