"""Translations of the channel settings and consent pages of the console (merged into i18n).

Keys are the English text, as in ``siyu.web.i18n``; ``ENGLISH`` gives the English of keys that are codes.
"""

from __future__ import annotations

CATALOG: dict[str, str] = {
    "Channels and consent": "渠道设置与授权",
    "Channel settings": "渠道设置",
    "channel.sms": "短信",
    "channel.app": "App 推送",
    "channel.wechat": "微信",
    "provider.sink": "本地模拟通道",
    "provider.http": "HTTP 短信服务商",
    "rules.generic": "通用规则",
    "rules.aliyun": "阿里云短信规则",
    "rules.tencent": "腾讯云短信规则",
    # summary
    "Provider": "服务商",
    "Frequency cap": "频次上限",
    "a day / a week, per customer": "每人每天 / 每周",
    "Quiet hours": "免打扰时段",
    "shop time, {zone}": "店铺时间，{zone}",
    "Price per part": "每条计费单价",
    "{n} fen": "{n} 分",
    "Consent to marketing": "营销授权",
    "Required": "必须",
    "Not required": "不要求",
    "before any marketing message": "发送营销消息之前",
    "Last changed": "最近修改",
    # settings form
    "Send through": "发送方式",
    "The local sink keeps every message in Siyu and sends nothing out: for trying things safely.": "本地模拟通道只把消息保存在私域系统内，不会真正发出，适合安全试用。",  # noqa: E501
    "Provider rules": "服务商规则",
    "Provider URL (HTTP)": "服务商地址（HTTP）",
    "API key": "API 密钥（Key）",
    "Signing secret": "签名密钥（Secret）",
    "set": "已设置",
    "not set": "未设置",
    "Leave empty to keep the current one": "留空则保留当前值",
    "Keys and secrets are never shown again once saved.": "密钥保存后不再显示。",
    "Messages per second": "每秒发送条数",
    "per second": "条/秒",
    "All workers together.": "所有发送进程合计。",
    "Price per part (fen)": "每条计费单价（分）",
    "A long message is billed as several parts.": "长短信按多条计费。",
    "Marketing only to customers who agreed (recommended)": "只向已同意的客户发送营销消息（推荐）",
    "A customer who withdrew consent or replied with an opt-out word never gets marketing, whatever this says.": "无论此项如何设置，已撤回授权或回复退订词的客户都不会再收到营销消息。",  # noqa: E501
    "Look up a customer below to see their consent on each channel, with its proof.": (
        "在下方查询客户，可查看其在各渠道的授权及凭证。"
    ),
    "Frequency and quiet hours": "频次与免打扰",
    "Daily cap per customer": "每人每天上限",
    "Weekly cap per customer": "每人每周上限",
    "message(s)": "条",
    "0 means no cap.": "0 表示不限。",
    "0 means no cap. Weeks run Monday to Sunday, shop time.": "0 表示不限。每周按店铺时间从周一到周日计算。",
    "Quiet hours start": "免打扰开始",
    "Quiet hours end": "免打扰结束",
    "HH:MM in shop time ({zone}). Marketing due in quiet hours waits until they end; the same start and end means no quiet hours.": "按店铺时间（{zone}）填写 HH:MM。落在免打扰时段的营销消息会顺延到时段结束后发送；开始与结束相同表示不设免打扰。",  # noqa: E501
    "Opt-out words": "退订词",
    "Extra reply words that mean opt-out (one a line)": "额外的退订回复词（每行一个）",
    "Always counted: T, TD, R, N, 0000 and replies containing 退订, 拒收, 取消订阅 or 不要再发.": "始终视为退订：T、TD、R、N、0000，以及包含“退订”“拒收”“取消订阅”“不要再发”的回复。",  # noqa: E501
    "Forbidden words": "违禁词",
    "Use the default list": "使用默认词表",
    "The shop's own list (one a line), used when the default list is not ticked": "店铺自己的词表（每行一个），未勾选默认词表时使用",  # noqa: E501
    "This channel uses the default list ({n} words): absolute claims banned by the Advertising Law and terms the carriers block. Untick it to edit your own copy.": "此渠道使用默认词表（共 {n} 个词）：《广告法》禁止的绝对化用语和运营商拦截的词。取消勾选即可编辑店铺自己的词表。",  # noqa: E501
    "This channel uses the shop's own list. Tick the default list to go back to it.": "此渠道使用店铺自己的词表。勾选“使用默认词表”即可恢复默认。",  # noqa: E501
    "Channel settings saved.": "渠道设置已保存。",
    # errors
    "Choose one of the options.": "请从选项中选择。",
    "At most {n} characters.": "最多 {n} 个字符。",
    "Enter a whole number from {low} to {high}.": "请输入 {low}–{high} 之间的整数。",
    "Enter a time as HH:MM, from 00:00 to 23:59.": "请按 HH:MM 输入时间（00:00–23:59）。",
    "At most {n} words of at most {length} characters each.": "最多 {n} 个词，每个词不超过 {length} 个字符。",
    # consent lookup
    "Consent lookup": "授权查询",
    "See whether a customer agreed to marketing on each channel, with the proof, and record a new consent or a withdrawal.": "查看客户在各渠道是否同意接收营销消息及其凭证，并记录新的同意或撤回。",  # noqa: E501
    "Customer ID, account, name or phone tail (4 digits)": "客户 ID、下单帐号、姓名或手机尾号（4 位）",
    "e.g. 1024 or jd_buyer": "例如：1024 或 jd_buyer",
    "Look up": "查询",
    "Customers found": "找到的客户",
    "Customer ID": "客户 ID",
    "Consent record": "授权记录",
    "Showing the first {n}; narrow the search to see others.": "仅显示前 {n} 位，请缩小查询范围查看其他客户。",
    "No customer matches.": "没有匹配的客户。",
    # a customer's consent
    "Customer page": "客户详情",
    "Consent now": "当前授权",
    "Since": "生效时间",
    "May receive marketing now": "现在能否接收营销",
    "consent required on this channel": "此渠道要求先获得同意",
    "this channel does not require consent": "此渠道不要求事先同意",
    "consent.granted": "已同意",
    "consent.withdrawn": "已撤回",
    "consent.none": "未记录",
    "Withdraw": "撤回授权",
    "What the customer said (optional)": "客户原话（可选）",
    "The customer asked to stop": "客户要求退订",
    "Withdraw this consent? No more marketing goes to the customer on this channel.": "确定撤回此授权吗？此后不会再通过该渠道向客户发送营销消息。",  # noqa: E501
    "Record consent": "记录同意",
    "Marketing needs the customer's explicit consent, with its proof: where it was given and the exact text the customer agreed to.": "发送营销消息需要客户明确同意并留存凭证：同意的来源，以及客户同意的原文。",  # noqa: E501
    "Evidence (e.g. form id, call record, IP and browser)": "凭证（如表单编号、通话记录、IP 与浏览器）",
    "Consent recorded.": "已记录客户同意。",
    "Consent withdrawn; no more marketing goes to this customer on that channel.": "授权已撤回，此后不会再通过该渠道向客户发送营销消息。",  # noqa: E501
    "History": "历史记录",
    "Text": "原文",
    "Recorded by": "记录人",
    "event.grant": "同意",
    "event.withdraw": "撤回",
    "source.console": "控制台",
    "source.api": "API",
    "source.h5": "H5 页面",
    "source.import": "导入",
    "source.member_join": "会员开卡",
    "source.checkout": "下单时",
    "source.reply": "短信回复",
    "Every grant and withdrawal is kept as it was recorded; nothing here is ever rewritten. Times are shop time.": "每一次同意与撤回都按记录时的原样保存，不会被改写。时间为店铺时间。",  # noqa: E501
    "No consent recorded for this customer yet.": "此客户还没有授权记录。",
    # what went out and what came back (消息记录)
    "Sent messages": "消息记录",
    "Replies": "客户回复",
    "Failed messages": "发送失败",
    "Message text": "消息内容",
    "Message text or masked phone, e.g. 1234": "消息内容或脱敏手机号，如 1234",
    "{total} messages": "共 {total} 条消息",
    "No message matches.": "没有匹配的消息。",
    "No messages yet.": "还没有消息。",
    "When a campaign goes out through the local sink, every message it would have sent shows here.": (
        "活动通过本地模拟通道发送后，每一条本应发出的消息都会显示在这里。"
    ),
    "The local sink keeps each message instead of sending it; messages sent through an HTTP provider are not listed here. Times are shop time.": "本地模拟通道只保存消息、不会真正发出；通过 HTTP 短信服务商发送的消息不在此列出。时间为店铺时间。",  # noqa: E501
    "Reply": "回复内容",
    "Reply text or masked phone, e.g. 1234": "回复内容或脱敏手机号，如 1234",
    "Opt-outs only": "只看退订",
    "{total} replies": "共 {total} 条回复",
    "Unknown number": "未匹配到客户",
    "No reply matches.": "没有匹配的回复。",
    "No replies yet.": "还没有客户回复。",
    "Replies come in through the provider's inbound hook; an opt-out word withdraws the customer's consent at once.": "客户回复经服务商的上行回调接收；回复退订词会立即撤回客户授权。",  # noqa: E501
    "A reply marked opted out has already withdrawn the customer's consent on that channel; the consent record shows it. Times are shop time.": "标记为退订的回复已撤回客户在该渠道的授权，可在授权记录中查看。时间为店铺时间。",  # noqa: E501
    "Error or masked phone, e.g. HTTP 400 or 1234": "错误信息或脱敏手机号，如 HTTP 400 或 1234",
    "{total} failed messages": "共 {total} 条发送失败",
    "Attempts": "尝试次数",
    "No failed message matches.": "没有匹配的失败消息。",
    "No failed messages.": "没有发送失败的消息。",
    "A message that cannot be delivered after its retries shows here with the provider's error.": (
        "重试后仍无法送达的消息会连同服务商返回的错误显示在这里。"
    ),
    "A failed message is not sent again. Time: when the message was sent, or when it was due if it never left. Times are shop time.": "失败的消息不会再次发送。时间：已发出的为发送时间，未发出的为计划发送时间。时间为店铺时间。",  # noqa: E501
    "failure.no_phone": "客户没有手机号",
    "failure.bad_phone": "手机号无法使用",
    "failure.undelivered": "服务商回执：未送达",
    "failure.failed": "发送失败",
}
ENGLISH: dict[str, str] = {
    "channel.sms": "SMS",
    "channel.app": "App push",
    "channel.wechat": "WeChat",
    "provider.sink": "Local sink",
    "provider.http": "HTTP SMS provider",
    "rules.generic": "Generic rules",
    "rules.aliyun": "Alibaba Cloud SMS rules",
    "rules.tencent": "Tencent Cloud SMS rules",
    "consent.granted": "Granted",
    "consent.withdrawn": "Withdrawn",
    "consent.none": "Not recorded",
    "event.grant": "Granted",
    "event.withdraw": "Withdrawn",
    "source.console": "Console",
    "source.api": "API",
    "source.h5": "H5 page",
    "source.import": "Import",
    "source.member_join": "Member sign-up",
    "source.checkout": "Checkout",
    "source.reply": "SMS reply",
    "failure.no_phone": "No phone number",
    "failure.bad_phone": "Phone number unusable",
    "failure.undelivered": "Not delivered (provider receipt)",
    "failure.failed": "Failed",
}
