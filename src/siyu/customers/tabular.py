"""Reading uploaded tables row by row: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) and Excel.

CSV is streamed (bounded memory for any size). Excel files are read through calamine, which holds
one sheet at a time (an .xlsx holds at most 1,048,576 rows).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from siyu.customers.errors import UnreadableFile

SAMPLE_BYTES = 256 * 1024
csv.field_size_limit(1024 * 1024)


@dataclass
class TableSource:
    """Rows of a file with 1-based row numbers as a spreadsheet shows them, and byte progress."""

    path: Path
    kind: str  # "csv" | "excel"
    encoding: str
    total_bytes: int
    _raw: BinaryIO | None = field(default=None, repr=False)

    def bytes_read(self) -> int:
        if self._raw is None or self._raw.closed:
            return self.total_bytes
        return min(self._raw.tell(), self.total_bytes)

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        if self.kind == "excel":
            yield from self._excel_rows()
            return
        raw = open(self.path, "rb")  # noqa: SIM115 - closed in finally, tell() used for progress
        self._raw = raw
        try:
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
            first = text.readline()
            dialect_delim = "\t" if first.count("\t") > first.count(",") else ","
            head = csv.reader([first], delimiter=dialect_delim)
            row_no = 0
            for cells in head:
                row_no += 1
                yield row_no, list(cells)
            for cells in csv.reader(text, delimiter=dialect_delim):
                row_no += 1
                yield row_no, list(cells)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"文件在约第 {row_no + 1} 行处编码损坏（按 {self.encoding} 读取）",
                f"file encoding is broken near row {row_no + 1} (read as {self.encoding})",
            ) from exc
        except csv.Error as exc:
            raise UnreadableFile(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}") from exc
        finally:
            raw.close()

    def _excel_rows(self) -> Iterator[tuple[int, list[object]]]:
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(self.path))
            sheet = book.get_sheet_by_index(0)
            rows = sheet.iter_rows()
        except Exception as exc:  # calamine raises its own error types for broken workbooks
            raise UnreadableFile(f"无法读取 Excel 文件：{exc}", f"cannot read the Excel file: {exc}") from exc
        for row_no, cells in enumerate(rows, start=1):
            yield row_no, list(cells)


def open_table(path: Path) -> TableSource:
    """Detect the kind and encoding of a file from its first bytes."""
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("文件是空的", "the file is empty")
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(b"PK\x03\x04") or sample.startswith(b"\xd0\xcf\x11\xe0"):
        return TableSource(path, "excel", "excel", size)
    return TableSource(path, "csv", detect_encoding(sample, complete=size <= SAMPLE_BYTES), size)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise UnreadableFile("这不是文本表格文件（含二进制内容）", "not a text table (binary content)")
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise UnreadableFile("无法识别文件编码", "cannot tell the file's text encoding")
    return best.encoding
