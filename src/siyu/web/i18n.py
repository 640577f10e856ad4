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
    # segments, audiences, tags
    "Member count": "人数",
    "No purchase in the window": "统计周期内未购买",
    "View members": "查看成员",
    "action.segments.export": "导出 RFM 分群客户",
    "action.segments.settings": "修改 RFM 与阶段设置",
    "action.audience.create": "创建人群",
    "action.audience.update": "修改人群",
    "action.audience.refresh": "刷新人群",
    "action.audience.delete": "删除人群",
    "action.audience.freeze": "生成人群快照",
    "action.audience.combine": "人群运算",
    "action.tag.create": "创建标签",
    "action.tag.assign": "批量打标",
    "action.tag.refresh": "刷新规则标签",
    "Segment analysis": "人群分析",
    "Audience builder": "人群圈选",
    "Tags": "标签",
    "RFM analysis": "RFM 分析",
    "Stages": "生命周期与忠诚度",
    "Some settings are not valid; see the marked fields.": "部分设置不正确，请查看标出的字段。",
    "Spend": "消费金额",
    "{n} paid orders": "已付订单 {n} 笔",
    "Average days since last order": "平均距上次购买天数",
    "Average orders per buyer": "人均购买次数",
    "Average spend per buyer": "人均消费",
    "Share of customers": "人数占比",
    "Share of spend": "消费金额占比",
    "R × F matrix": "R × F 分布",
    "Customers by recency score (rows) and frequency score (columns); 5 is best.": "按最近购买得分（行）与购买频次得分（列）分布的客户数，5 分最好。",  # noqa: E501
    "Scores: {mode}": "评分：{mode}",
    "quintiles": "五等分",
    "cut points": "自定义分界点",
    "High/low split: {mode}": "高低划分：{mode}",
    "split.average": "对比店铺平均值",
    "split.score": "按得分阈值",
    "split.custom": "自定义阈值",
    "As of {time}": "统计时间 {time}",
    "No paid orders in the window yet.": "统计周期内暂无已付订单。",
    "RFM and stage settings": "RFM 与阶段设置",
    "Window and scores": "统计周期与评分",
    "Window (days)": "统计周期（天）",
    "Score mode": "评分方式",
    "Quintiles (rank customers into 5 groups)": "五等分（按排名分为 5 组）",
    "Cut points": "自定义分界点",
    "R cut points (days, 4, descending)": "R 分界点（天，4 个，从大到小）",
    "F cut points (orders, 4, ascending)": "F 分界点（次数，4 个，从小到大）",
    "M cut points (yuan, 4, ascending)": "M 分界点（元，4 个，从小到大）",
    "High / low split": "高低划分",
    "Split mode": "划分方式",
    "Score threshold (score mode)": "得分阈值（按得分时）",
    "Recent: at most days (custom)": "近期：不超过天数（自定义时）",
    "Frequent: at least orders (custom)": "高频：至少购买次数（自定义时）",
    "High spend: at least yuan (custom)": "高消费：至少金额（元，自定义时）",
    "Stage boundaries": "阶段分界",
    "Lifecycle: upper bounds in days (5)": "生命周期：天数上限（5 个）",
    "Loyalty: minimum orders (5)": "忠诚度：最少购买次数（5 个）",
    "After-sale, active, usage, silent, sleeping; lost beyond the last.": "依次为售后期、活跃期、使用期、沉默期、睡眠期；超过最后一个为流失期。",  # noqa: E501
    "New, returning, regular, loyal, fan; prospects have none.": "依次为新客、回头客、老客、忠诚客户、粉丝；未购买为潜客。",  # noqa: E501
    "Save settings": "保存设置",
    "Settings saved.": "设置已保存。",
    "Days since last order": "距上次购买天数",
    "No customers in this segment.": "该分群暂无客户。",
    "Lifecycle stage": "生命周期阶段",
    "Loyalty stage": "忠诚度阶段",
    "Spending level": "消费水平",
    "Lifecycle from days since the last paid order (bounds {bounds} days); loyalty from paid orders (from {mins}).": "生命周期按距上次付款订单的天数划分（分界 {bounds} 天）；忠诚度按已付订单数划分（起点 {mins} 笔）。",  # noqa: E501
    "R score (recency)": "R 得分（最近购买）",
    "F score (frequency)": "F 得分（购买频次）",
    "Window: whole days from 1 to 3650.": "统计周期：1 到 3650 之间的整数天。",
    "Choose a scoring mode.": "请选择评分方式。",
    "R cut points: 4 different whole numbers of days, largest first.": "R 分界点：4 个互不相同的整数天，从大到小。",
    "F cut points: 4 different whole numbers of orders, smallest first.": "F 分界点：4 个互不相同的整数次数，从小到大。",  # noqa: E501
    "M cut points: 4 different amounts in yuan, smallest first.": "M 分界点：4 个互不相同的金额（元），从小到大。",
    "Choose how high and low are split.": "请选择高低划分方式。",
    "Score threshold: a whole number from 2 to 5.": "得分阈值：2 到 5 之间的整数。",
    "Recent means at most this many days (0 or more).": "近期天数：0 或以上的整数。",
    "Frequent means at least this many orders (1 or more).": "高频次数：1 或以上的整数。",
    "High spend means at least this amount in yuan (0 or more).": "高消费金额：0 或以上（元）。",
    "Lifecycle boundaries: 5 different whole numbers of days, ascending.": "生命周期分界：5 个互不相同的整数天，从小到大。",  # noqa: E501
    "Loyalty boundaries: 5 different order counts, ascending, starting at 1 or more.": "忠诚度分界：5 个互不相同的次数，从小到大，最小为 1。",  # noqa: E501
    "Edit audience {name}": "编辑人群「{name}」",
    "Conditions": "圈选条件",
    "Combine conditions with AND / OR / NOT groups; the count updates as you edit.": "用“且 / 或 / 非”条件组组合条件，人数随编辑实时更新。",  # noqa: E501
    "Audience name": "人群名称",
    "e.g. Shanghai repeat buyers": "例如：上海复购客户",
    "Save changes": "保存修改",
    "Save as audience": "保存为人群",
    "Use as rule tag": "用作规则标签",
    "Clear": "清空",
    "Saved audiences": "已保存的人群",
    "Refreshed": "更新时间",
    "Refresh": "刷新",
    "Freeze snapshot": "生成快照",
    "Delete": "删除",
    "Delete this audience? Its snapshots stay.": "确定删除该人群？已生成的快照会保留。",
    "No saved audiences yet.": "暂无已保存的人群。",
    "Snapshots": "人群快照",
    "A snapshot is a frozen list of customers. Sends go out in batches of at most 30,000.": "快照是固定下来的客户名单；发送时每批最多 30,000 人。",  # noqa: E501
    "Frozen": "生成时间",
    "Batches": "发送批次",
    "{n} batches": "{n} 批",
    "1 batch": "1 批",
    "Export": "导出",
    "No snapshots yet. Freeze a saved audience to make one.": "暂无快照。对已保存的人群点击“生成快照”即可创建。",
    "Combine": "人群运算",
    "Choose…": "请选择…",
    "First": "人群一",
    "Operation": "运算",
    "Second": "人群二",
    "New snapshot name": "新快照名称",
    "Saved audiences (evaluated now)": "已保存的人群（按当前数据计算）",
    "op.union": "并集",
    "op.intersect": "交集",
    "op.subtract": "差集",
    "Add a condition to count customers.": "添加条件后显示人数。",
    "Matching customers": "符合条件",
    "Audience saved.": "人群已保存。",
    "Audience refreshed.": "人群已刷新。",
    "Snapshot created.": "快照已生成。",
    "Audience deleted.": "人群已删除。",
    "Combined snapshot created.": "运算结果已生成快照。",
    "Age": "年龄",
    "Birthday month": "生日月份",
    "Became a customer": "成为客户",
    "Joined membership": "入会",
    "Behaviour": "行为",
    "Amount paid": "实付金额",
    "Last paid order": "最近一次付款订单",
    "Added to cart without ordering": "加购未下单",
    "Bought SKU": "购买过商品（SKU）",
    "Bought category": "购买过类目",
    "Segments and tags": "分群与标签",
    "RFM segment": "RFM 分群",
    "AND (all of)": "且（满足全部）",
    "OR (any of)": "或（满足任一）",
    "NOT (none of)": "非（都不满足）",
    "NOT (not all of)": "非（不全满足）",
    "Add condition": "添加条件",
    "Add group": "添加条件组",
    "Remove": "移除",
    "is one of": "属于",
    "is not one of": "不属于",
    "within the last": "在最近",
    "not within the last": "不在最近",
    "days": "天内",
    "in the last": "统计最近",
    "days (empty = ever)": "天（留空为全部）",
    "yuan": "元",
    "any of": "任一",
    "all of": "全部",
    "none of": "都没有",
    "Separate values with commas": "多个值用逗号分隔",
    "Pick a field": "选择字段",
    "No condition yet: add one to see how many customers match.": "还没有条件：添加条件后即可看到符合的人数。",
    "No tags yet": "暂无标签",
    "Refresh rule tags": "刷新规则标签",
    "Install standard tags": "安装标准标签",
    "{n} customers tagged with {tag}.": "已为 {n} 位客户打上「{tag}」。",
    "{given} accounts given, {unknown} not found.": "共提交 {given} 个帐号，{unknown} 个未找到。",
    "Unknown accounts:": "未找到的帐号：",
    "See the members": "查看成员",
    "dim.importance": "重要性",
    "dim.product": "购买品类",
    "dim.spending": "消费能力",
    "dim.frequency": "购买频次",
    "dim.fan_source": "粉丝来源",
    "dim.time": "时间",
    "dim.custom": "自定义",
    "Tag": "标签",
    "Kind": "类型",
    "Rule": "规则",
    "Manual": "手动",
    "No tags yet.": "暂无标签。",
    "Install the standard tags or create your own.": "可以安装标准标签，或创建自己的标签。",
    "New tag": "新建标签",
    "Tag name": "标签名称",
    "Dimension": "维度",
    "Manual: you choose the customers": "手动标签：由您指定客户",
    "Rule: customers matching conditions, recomputed nightly": "规则标签：符合条件的客户，每晚自动重新计算",
    "Rule (conditions as JSON; build them in the audience builder and press “Use as rule tag”)": "规则（JSON 格式的圈选条件；可在人群圈选中编辑后点击“用作规则标签”）",  # noqa: E501
    "Create tag": "创建标签",
    "Open the audience builder": "打开人群圈选",
    "Tag customers": "批量打标",
    "Add a manual tag to customers listed by JD account (paste one a line, or upload a .txt / .csv), or to everyone in a snapshot.": "按京东下单帐号名单（每行一个，可粘贴或上传 .txt / .csv）或人群快照，为客户打上手动标签。",  # noqa: E501
    "Manual tag": "手动标签",
    "JD accounts": "京东下单帐号",
    "or a file": "或上传文件",
    "or everyone in a snapshot": "或快照中的全部客户",
    "Tag them": "打标",
    "Create a manual tag first.": "请先创建一个手动标签。",
    "Choose a manual tag.": "请选择手动标签。",
    "Tag created.": "标签已创建。",
    "Rule tags refreshed.": "规则标签已刷新。",
    "Standard tags installed: {n}.": "已安装标准标签 {n} 个。",
    "Showing the members of snapshot {name}.": "正在查看快照「{name}」的成员。",
    "Showing the customers tagged {name}.": "正在查看带有标签「{name}」的客户。",
    "Back to audiences": "返回人群圈选",
    "Back to tags": "返回标签",
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
    "split.average": "against the shop averages",
    "split.score": "by score threshold",
    "split.custom": "custom thresholds",
    "op.union": "Union",
    "op.intersect": "Intersection",
    "op.subtract": "Difference",
    "dim.importance": "Importance",
    "dim.product": "Product type",
    "dim.spending": "Spending power",
    "dim.frequency": "Purchase frequency",
    "dim.fan_source": "Fan source",
    "dim.time": "Time",
    "dim.custom": "Custom",
    "action.segments.export": "RFM segment exported",
    "action.segments.settings": "RFM and stage settings changed",
    "action.audience.create": "Audience created",
    "action.audience.update": "Audience changed",
    "action.audience.refresh": "Audience refreshed",
    "action.audience.delete": "Audience deleted",
    "action.audience.freeze": "Snapshot frozen",
    "action.audience.combine": "Audiences combined",
    "action.tag.create": "Tag created",
    "action.tag.assign": "Customers tagged",
    "action.tag.refresh": "Rule tag refreshed",
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


# membership, points mall and coupon pages keep their texts in their own file
from siyu.web import i18n_loyalty  # noqa: E402

CATALOG.update(i18n_loyalty.CATALOG)
ENGLISH.update(i18n_loyalty.ENGLISH)

from siyu.web import i18n_campaigns  # noqa: E402

CATALOG.update(i18n_campaigns.CATALOG)
ENGLISH.update(i18n_campaigns.ENGLISH)

from siyu.web import i18n_calendar  # noqa: E402

CATALOG.update(i18n_calendar.CATALOG)
ENGLISH.update(i18n_calendar.ENGLISH)

from siyu.web import i18n_channels  # noqa: E402

CATALOG.update(i18n_channels.CATALOG)
ENGLISH.update(i18n_channels.ENGLISH)

from siyu.web import i18n_groups  # noqa: E402

CATALOG.update(i18n_groups.CATALOG)
ENGLISH.update(i18n_groups.ENGLISH)

from siyu.web import i18n_group_tools  # noqa: E402

CATALOG.update(i18n_group_tools.CATALOG)
ENGLISH.update(i18n_group_tools.ENGLISH)
