"""Translations of the campaign calendar and yearly coverage pages of the console (merged into i18n).

Keys are the English text, as in ``siyu.web.i18n``.
"""

from __future__ import annotations

CATALOG: dict[str, str] = {
    "Campaign calendar": "营销日历",
    "Calendar": "日历",
    "Yearly coverage": "年度触达",
    "Year {year}": "{year} 年",
    "Times are shop time. Quiet hours {hours}: waves are moved out of them.": (
        "时间均为店铺当地时间。免打扰时段 {hours}：落在其中的波次会自动调整。"
    ),
    "Starts": "开始",
    "Ends": "结束",
    "Reach {share} of marketable customers: {reach} of {customers}.": (
        "应触达可营销客户的 {share}：{customers} 人中的 {reach} 人。"
    ),
    "Queued so far: {n}.": "已排队 {n} 人。",
    "Send at": "发送时间",
    "Wave": "波次",
    "Moved out of quiet hours": "已移出免打扰时段",
    "No wave fits before this event any more.": "活动前已没有可安排的波次。",
    "Campaigns for this event": "为该活动准备的短信",
    "No campaign prepares this event yet.": "还没有为该活动准备短信。",
    "Prepare an SMS campaign": "准备短信活动",
    "Remove this event? Its campaigns stay.": "删除该活动？已关联的短信活动会保留。",
    "Remove": "删除",
    "No events planned in {year}.": "{year} 年还没有计划的活动。",
    "Change the event": "修改活动",
    "Plan an event": "计划活动",
    "Quick fill": "快速填写",
    "Event name": "活动名称",
    "e.g. Member day": "例如：会员日",
    "Kind": "类型",
    "Festival": "大促节点",
    "None": "无",
    "Starts (shop time)": "开始时间（店铺时间）",
    "Ends (optional)": "结束时间（可选）",
    "Note": "备注",
    "Planning rules": "规划规则",
    "Reach": "触达比例",
    "Preheat 2–3 days before; new arrivals 1–2 days before.": "提前 2–3 天预热；上新提前 1–2 天。",
    "The last wave goes on the eve, 20:00–22:00; for a 0:00 start that is the day before.": (
        "最后一波在前一晚 20:00–22:00 发送；0 点开始的活动即为前一天。"
    ),
    "618: preheat from 5.25, then 2–3 waves between 6.1 and 6.20.": "618：5.25 起预热，6.1–6.20 期间再发 2–3 波。",
    "Every customer should receive at least 5–6 marketing SMS a year.": "每位客户一年至少应收到 5–6 条营销短信。",
    "{n} customers may receive marketing SMS now.": "当前 {n} 位客户可接收营销短信。",
    "Enter the start time.": "请填写开始时间。",
    "The event is on the calendar.": "活动已加入营销日历。",
    "The event was changed.": "活动已修改。",
    "The event was removed; its campaigns stay.": "活动已删除，关联的短信活动保留。",
    "Marketing SMS sent or delivered to each customer with a phone between {since} and {until}.": (
        "{since} 至 {until} 期间，向每位有手机号的客户发出或送达的营销短信。"
    ),
    "Customers with a phone": "有手机号的客户",
    "Marketing SMS": "营销短信",
    "Below {n} a year": "一年不足 {n} 条",
    "Customers by marketing SMS received": "按收到营销短信条数的客户分布",
    "Marketing SMS in the last 365 days": "近 365 天营销短信条数",
    "No customer with a phone yet.": "还没有有手机号的客户。",
    "Fewest messages": "收到最少的客户",
    "The seed's rule: at least 5–6 marketing SMS a year keep a customer aware of the shop. Add them to the next event's audience.": (  # noqa: E501
        "规则：一年至少 5–6 条营销短信才能让客户记得店铺。可把他们加入下一次活动的人群。"
    ),
    "Every customer reached the minimum.": "所有客户都已达到最低条数。",
    "Calendar event": "营销日历活动",
    "No calendar event": "不关联营销日历",
}

ENGLISH: dict[str, str] = {}
