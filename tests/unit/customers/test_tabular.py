"""Encodings and formats of uploaded tables."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from siyu.customers.errors import UnreadableFile
from siyu.customers.tabular import detect_encoding, open_table


def test_gbk_text_is_detected_as_gb18030() -> None:
    assert detect_encoding("订单号,商品ID\n".encode("gbk"), complete=True) == "gb18030"


def test_utf8_with_bom_is_detected() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + "订单号".encode(), complete=True) == "utf-8-sig"


def test_plain_utf8_is_detected() -> None:
    assert detect_encoding("订单号,商品ID\n".encode(), complete=True) == "utf-8"


def test_a_utf8_sample_cut_inside_a_character_is_still_utf8() -> None:
    sample = "订单号".encode()[:-1]
    assert detect_encoding(sample, complete=False) == "utf-8"


def test_binary_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01\x02garbage\x00")
    with pytest.raises(UnreadableFile):
        open_table(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile) as caught:
        open_table(path)
    assert caught.value.en == "the file is empty"


def test_tab_separated_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("订单号\t商品ID\n\t3001\t1002\n".encode("gb18030"))
    rows = list(open_table(path).rows())
    assert rows == [(1, ["订单号", "商品ID"]), (2, ["", "3001", "1002"])]
