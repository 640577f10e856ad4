"""The console's translations and formatting, in one place.

Keys are the English text; CATALOG gives the Chinese (zh-CN, the default language). Placeholders use
``{name}`` and are filled after translation. Numbers and dates are formatted with Babel.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent

LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en"}

CATALOG: dict[str, str] = {
    # shell
    "Siyu": "私域",
    "Private-domain operations": "私域客户运营",
    "Dashboard": "数据概览",
    "Customers": "客户",
    "Order imports": "订单导入",
    "Staff & permissions": "员工与权限",
    "API tokens": "API 令牌",
    "Audit log": "操作日志",
    "Log out": "退出登录",
    "Main account": "主账号",
    "Sub-account": "子账号",
    "Language": "语言",
    "Menu": "菜单",
    # login
    "Log in": "登录",
    "Log in to your shop console": "登录店铺控制台",
    "Username": "用户名",
    "Password": "密码",
    "Your session has ended, please log in again.": "登录已失效，请重新登录。",
    "You have logged out.": "您已安全退出。",
    # errors
    "Page not found": "页面不存在",
    "The page you asked for does not exist.": "您访问的页面不存在。",
    "No permission": "没有权限",
    "Something went wrong": "操作未完成",
    "Not found": "未找到",
    "Back to the console": "返回控制台",
    "Go back": "返回上一页",
    "Error": "错误",
    "Method not allowed": "不支持该请求方式",
    "Your account has no page it may open. Ask the main account for permissions.": "您的账号暂无可访问的页面，请联系主账号授予权限。",  # noqa: E501
    # dashboard
    "Total customers": "客户总数",
    "Members": "会员",
    "Fans (follow shop)": "粉丝（关注店铺）",
    "Buyers": "购买客户",
    "Paid orders": "已付订单",
    "GMV": "成交额 GMV",
    "Average order value": "客单价",
    "all time": "累计",
    "of customers": "占客户",
    "GMV trend": "GMV 趋势",
    "Orders by channel": "订单来源渠道",
    "Last {days} days": "近 {days} 天",
    "Daily": "按日",
    "Weekly": "按周",
    "Orders": "订单数",
    "Channel": "渠道",
    "Share": "占比",
    "In this period: {orders} paid orders, GMV {gmv}": "本期：已付订单 {orders} 笔，GMV {gmv}",
    "No paid orders in this period yet.": "本期暂无已付订单。",
    "Import a JD order export to see your figures.": "导入京东订单导出文件后即可看到数据。",
    "Import orders": "导入订单",
    "Week of {date}": "{date} 当周",
    # customers
    "Search": "搜索",
    "Account, name, phone tail (4 digits) or masked phone": "下单帐号、姓名、手机尾号（4 位）或脱敏手机号",
    "City": "城市",
    "Gender": "性别",
    "Source channel": "来源渠道",
    "Member": "会员",
    "Follows shop": "关注店铺",
    "Has paid order": "有已付订单",
    "Any": "不限",
    "Yes": "是",
    "No": "否",
    "Male": "男",
    "Female": "女",
    "Unknown": "未知",
    "Filter": "筛选",
    "Reset": "重置",
    "Export Excel": "导出 Excel",
    "Account": "下单帐号",
    "Name": "姓名",
    "Phone": "手机号",
    "Paid total": "累计实付",
    "Last order": "最近下单",
    "{total} customers": "共 {total} 位客户",
    "No customers match these filters.": "没有符合条件的客户。",
    "Previous": "上一页",
    "Next": "下一页",
    "Page {page} of {pages}": "第 {page} / {pages} 页",
    "Customer": "客户",
    "Profile": "客户资料",
    "Province": "省份",
    "Birthday": "生日",
    "Member since": "入会时间",
    "First order": "首次下单",
    "Customer since": "建档时间",
    "Show full phone": "查看完整号码",
    "Viewing the full number is recorded in the audit log.": "查看完整号码会记录在操作日志中。",
    "No phone on file": "无手机号",
    "Order timeline": "订单时间线",
    "No orders yet.": "暂无订单。",
    "Order no.": "订单号",
    "Status": "状态",
    "Paid": "已付",
    "Not paid": "未付",
    "Order amount": "订单金额",
    "Paid amount": "实付金额",
    "Product": "商品",
    "SKU": "商品ID",
    "Quantity": "数量",
    "Unit price": "单价",
    "All customers": "全部客户",
    "Member flag": "会员",
    "member": "会员",
    "fan": "粉丝",
    "Ordered at": "下单时间",
    "Orders {count} · paid {paid}": "订单 {count} 笔 · 实付 {paid}",
    # imports
    "Import a JD order export": "导入京东订单导出文件",
    "Upload the order export from the JD merchant back office (.csv in GBK or UTF-8, or .xlsx). Re-importing the same file changes nothing.": "上传京东商家后台导出的订单文件（GBK 或 UTF-8 编码的 .csv，或 .xlsx）。重复导入同一文件不会产生重复数据。",  # noqa: E501
    "File": "文件",
    "Drop the export here or choose a file (.csv, .xlsx)": "将导出文件拖到此处，或选择文件（.csv、.xlsx）",
    "Choose file": "选择文件",
    "Upload and import": "上传并导入",
    "Uploading…": "正在上传…",
    "Upload failed": "上传失败",
    "Choose a file first.": "请先选择文件。",
    "Recent imports": "最近导入",
    "No imports yet.": "暂无导入记录。",
    "Started": "开始时间",
    "By": "操作人",
    "Rows read": "读取行数",
    "Lines added": "新增订单行",
    "Already present": "已存在",
    "Orders added": "新增订单",
    "Customers added": "新增客户",
    "Problem rows": "问题行",
    "queued": "排队中",
    "running": "导入中",
    "done": "已完成",
    "failed": "失败",
    "Import #{id}": "导入 #{id}",
    "Importing…": "正在导入…",
    "Waiting to start…": "等待开始…",
    "{rows} rows read · {lines} lines added": "已读取 {rows} 行 · 新增 {lines} 行",
    "Import finished": "导入完成",
    "Import failed": "导入失败",
    "Nothing was written; fix the file and import it again.": "未写入任何数据，请修正文件后重新导入。",
    "The import was interrupted (the server restarted). Nothing was written; upload the file again.": "导入被中断（服务已重启），未写入任何数据，请重新上传文件。",  # noqa: E501
    "Row": "行号",
    "Column": "列",
    "Value": "值",
    "Reason": "原因",
    "Only the first {n} problem rows are listed.": "仅列出前 {n} 个问题行。",
    "All rows were imported.": "所有行均已导入。",
    "Encoding": "编码",
    "Size": "大小",
    "Back to imports": "返回导入列表",
    "Import another file": "继续导入",
    "View customers": "查看客户",
    "You can view imports but not upload files.": "您可以查看导入记录，但没有上传文件的权限。",
    # staff
    "Accounts": "账号",
    "Display name": "显示名称",
    "Role": "角色",
    "Active": "启用",
    "Disabled": "已停用",
    "Last login": "最近登录",
    "Permissions": "权限",
    "All permissions": "全部权限",
    "Edit": "编辑",
    "New sub-account": "新建子账号",
    "Create sub-account": "创建子账号",
    "At least 8 characters": "至少 8 位",
    "Area": "业务模块",
    "View": "查看",
    "Manage": "管理",
    "Special permissions": "特殊权限",
    "Account is active": "账号启用",
    "Save": "保存",
    "Cancel": "取消",
    "Saved.": "已保存。",
    "Sub-account {name} created.": "子账号 {name} 已创建。",
    "Edit permissions of {name}": "编辑 {name} 的权限",
    "The main account always has every permission.": "主账号始终拥有全部权限。",
    "Manage includes view. You can only grant permissions you hold yourself.": "“管理”包含“查看”。只能授予自己拥有的权限。",  # noqa: E501
    "{n} permissions": "{n} 项权限",
    "Never": "从未",
    # tokens
    "Tokens let programs use the REST API on behalf of this shop. Send them as Authorization: Bearer <token>.": "令牌供程序代表本店铺调用 REST API，请在请求头中携带 Authorization: Bearer <令牌>。",  # noqa: E501
    "New token": "新建令牌",
    "Create token": "创建令牌",
    "Token name": "令牌名称",
    "Prefix": "前缀",
    "Created": "创建时间",
    "Last used": "最近使用",
    "Revoked": "已吊销",
    "Revoke": "吊销",
    "Revoke this token? Programs using it will stop working.": "确定吊销该令牌？使用它的程序将无法继续访问。",
    "Copy this token now: it is shown only once.": "请立即复制该令牌：它只会显示这一次。",
    "Token {name} created.": "令牌 {name} 已创建。",
    "Token revoked.": "令牌已吊销。",
    "No tokens yet.": "暂无令牌。",
    "API documentation": "API 文档",
    # audit
    "Time": "时间",
    "Who": "操作人",
    "Action": "操作",
    "Target": "对象",
    "Before": "变更前",
    "After": "变更后",
    "Older entries": "更早的记录",
    "Newest": "最新记录",
    "No entries.": "暂无记录。",
    "action.shop.create": "创建店铺",
    "action.staff.create": "创建账号",
    "action.staff.login": "登录控制台",
    "action.staff.permissions": "修改权限",
    "action.token.create": "创建 API 令牌",
    "action.token.revoke": "吊销 API 令牌",
    "action.import.create": "上传订单文件",
    "action.import.finish": "导入完成",
    "action.import.fail": "导入失败",
    "action.customers.export": "导出客户",
    "action.customers.reveal_phone": "查看完整手机号",
    "action.demo.generate": "生成演示数据",
    "actor.staff": "员工",
    "actor.token": "API 令牌",
    "actor.system": "系统",
}

# English text for keys that are codes rather than English sentences.
ENGLISH: dict[str, str] = {
    "action.shop.create": "Shop created",
    "action.staff.create": "Account created",
    "action.staff.login": "Console login",
    "action.staff.permissions": "Permissions changed",
    "action.token.create": "API token created",
    "action.token.revoke": "API token revoked",
    "action.import.create": "Order file uploaded",
    "action.import.finish": "Import finished",
    "action.import.fail": "Import failed",
    "action.customers.export": "Customers exported",
    "action.customers.reveal_phone": "Full phone viewed",
    "action.demo.generate": "Demo data generated",
    "actor.staff": "Staff",
    "actor.token": "API token",
    "actor.system": "System",
    "queued": "Queued",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "all time": "All time",
    "member": "Member",
    "fan": "Fan",
}


def normalise_lang(value: str | None) -> str:
    return value if value in LANGS else "zh"


def gettext(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled."""
    text = CATALOG.get(key, key) if lang == "zh" else ENGLISH.get(key, key)
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in CATALOG


def pick(pair: tuple[str, str] | list[str], lang: str) -> str:
    """Pick from a (zh, en) pair as the domain modules define them."""
    return pair[0] if lang == "zh" else pair[1]


def format_number(value: int | float | None, lang: str) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=LOCALES[normalise_lang(lang)])


def format_percent(fraction: float | None, lang: str) -> str:
    if fraction is None:
        return "—"
    return babel_percent(fraction, format="#,##0.0%", locale=LOCALES[normalise_lang(lang)])


def format_datetime(value: datetime | None, lang: str, zone: ZoneInfo, *, with_time: bool = True) -> str:
    """A UTC time shown in the shop's time zone."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    if lang == "zh":
        pattern = "yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd"
    else:
        pattern = "MMM d, yyyy HH:mm" if with_time else "MMM d, yyyy"
    return babel_datetime(local, pattern, tzinfo=zone, locale=LOCALES[normalise_lang(lang)])


def format_bytes(size: int | None, lang: str) -> str:
    """A file size for people: 17535253 -> '16.7 MB'."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            digits = 0 if unit == "B" else 1
            return f"{format_decimal(round(value, digits), locale=LOCALES[normalise_lang(lang)])} {unit}"
        value /= 1024
    return f"{size} B"


def format_date(value: date | None, lang: str) -> str:
    if value is None:
        return "—"
    pattern = "yyyy-MM-dd" if lang == "zh" else "MMM d, yyyy"
    return babel_date(value, pattern, locale=LOCALES[normalise_lang(lang)])
