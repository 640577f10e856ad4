from __future__ import annotations

import pytest

from siyu.core.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", "\tcmd"])
def test_cells_that_start_like_formulas_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_ordinary_cells_are_untouched() -> None:
    assert safe_cell("张三") == "张三"
    assert safe_cell(12) == 12
