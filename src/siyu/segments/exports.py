"""Excel exports of segments: an RFM segment's customers (masked, formula-safe, audited by the caller)."""

from __future__ import annotations

import io
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.audit.services import record
from siyu.core.spreadsheet import safe_cell
from siyu.segments.domain import SEGMENT_BY_CODE
from siyu.segments.rfm import rfm_customers
from siyu.shops.services import Principal

_COLUMNS = (
    ("account", "下单帐号", "Account"),
    ("name", "姓名", "Name"),
    ("city", "城市", "City"),
    ("phone_masked", "手机（已脱敏）", "Phone (masked)"),
    ("recency_days", "距上次购买天数", "Days since last order"),
    ("frequency", "购买次数", "Orders"),
    ("monetary_fen", "消费金额（元）", "Spend (yuan)"),
    ("r_score", "R 分", "R score"),
    ("f_score", "F 分", "F score"),
    ("m_score", "M 分", "M score"),
    ("segment", "RFM 分群", "RFM segment"),
)


def rfm_segment_xlsx(
    session: Session, *, by: Principal, segment: str | None, lang: str = "zh", as_of: datetime | None = None
) -> bytes:
    """All customers of one RFM segment (or all buyers) as .xlsx; phones masked; the export is audited."""
    import xlsxwriter

    _total, rows = rfm_customers(session, shop_id=by.shop_id, segment=segment, as_of=as_of, limit=2_000_000)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet("RFM")
    for col, (_key, zh, en) in enumerate(_COLUMNS):
        sheet.write_string(0, col, zh if lang == "zh" else en)
    for r, row in enumerate(rows, start=1):
        for col, (key, _zh, _en) in enumerate(_COLUMNS):
            value = row[key]
            if key == "monetary_fen":
                sheet.write_string(r, col, f"{int(value) / 100:.2f}")
            elif key == "segment":
                seg = SEGMENT_BY_CODE[value]
                sheet.write_string(r, col, seg.zh if lang == "zh" else seg.en)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(safe_cell("" if value is None else str(value))))
    book.close()
    record(session, by.actor, "segments.export", "rfm_segment", segment or "all", after={"rows": len(rows)})
    return buffer.getvalue()
