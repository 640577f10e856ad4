"""Texts of the buyer-facing H5 pages (keys in English, Chinese the default), and the consent text.

Kept apart from the console's catalogue: the buyer pages speak to shoppers, not to operations staff,
and their templates call ``tr(...)`` rather than the console's ``_(...)``.
"""

from __future__ import annotations

H5_CATALOG: dict[str, str] = {
    # frame
    "Brand membership": "品牌会员",
    "Membership service of {shop}": "{shop} 会员服务",
    "Back": "返回",
    "Page not found": "页面不存在",
    "This shop's membership page does not exist. Check the link or the QR code.": "该店铺的会员页面不存在，请检查链接或二维码。",  # noqa: E501
    "Page expired": "页面已过期",
    "Too much data": "提交内容过多",
    "The form sent too much data.": "表单提交的内容过多。",
    # join
    "Join the membership": "会员开卡",
    "Join {shop} membership": "加入 {shop} 会员",
    "Join now and get {points} points": "立即开卡，送 {points} 积分",
    "Free to join, points on every order": "免费入会，购物即可积分",
    "You are signed in on this device: open my card": "本设备已开卡：打开我的会员卡",
    "Member benefits": "会员权益",
    "Entry tier": "开卡即享",
    "Spend {amount}+": "累计消费满 {amount}",
    "Growth value {n}+": "成长值满 {n}",
    "{x}× points on orders": "购物积分 {x} 倍",
    "Join with your phone": "手机号开卡",
    "Mobile phone": "手机号",
    "11-digit mobile number": "11 位手机号",
    "Name": "姓名",
    "optional": "选填",
    "JD account": "京东账号",
    "so that your JD orders earn points": "填写后京东订单可累计积分",
    "I have read and agree to the member terms and privacy policy above": "我已阅读并同意上述《会员协议》与《隐私政策》",  # noqa: E501
    "Join now": "立即开卡",
    "Already a member? Joining again on a new device shows that the phone is already a member; your card opens on the device you joined with. Sign-in by SMS code is coming.": "已是会员？在新设备上再次开卡会提示该手机号已是会员；会员卡可在开卡时使用的设备上打开。短信验证码登录即将上线。",  # noqa: E501
    "Please enter a valid 11-digit mobile number.": "请输入有效的 11 位手机号。",
    "Please read and agree to the member terms and privacy policy to join.": "请阅读并勾选同意《会员协议》与《隐私政策》后再开卡。",  # noqa: E501
    "This phone number is already a member of the shop. Your card opens on the device you joined with.": "该手机号已是本店会员，请在开卡时使用的设备上打开会员卡。",  # noqa: E501
    # card
    "My member card": "我的会员卡",
    "No.": "卡号",
    "Points": "积分",
    "{points} points expire on {date}": "{points} 积分将于 {date} 过期",
    "No points expire in the next {days} days": "近 {days} 天内没有即将过期的积分",
    "Daily check-in": "每日签到",
    "Checked in {days} days in a row": "已连续签到 {days} 天",
    "Check in +{points}": "签到 +{points}",
    "Checked in today": "今日已签到",
    "Points mall": "积分商城",
    "{points} points": "{points} 积分",
    "{n} left": "剩余 {n}",
    "Redeem": "兑换",
    "Sold out": "已兑完",
    "Not enough points": "积分不足",
    "{tier} and above": "限{tier}及以上",
    "Nothing in the points mall yet.": "积分商城暂无商品。",
    "My redemptions": "我的兑换",
    "coupon code": "券码",
    "Points history": "积分明细",
    "No points yet.": "暂无积分记录。",
    "Keep this page: your card opens on this device for as long as the session lasts.": "请在本设备上收藏此页面：登录有效期内可随时打开会员卡。",  # noqa: E501
    # the group page (views/h5_groups.py): frame
    "Group chat": "群聊",
    "Group service of {shop}": "{shop} 社群服务",
    "This group does not exist. Check the link or the QR code.": "该群不存在，请检查链接或二维码。",
    "The entry link expired or is not valid. Open the group again from the JD app.": "入群链接已过期或无效，请从京东 App 重新打开本群。",  # noqa: E501
    # entry and joining
    "Join rule": "入群条件",
    "Open the poster to save and share": "打开海报，保存分享",
    "Answers of guess the price": "猜价格揭晓",
    "Ended {at}": "{at} 结束",
    "{n} guessed right": "{n} 人猜中",
    "your guess {amount}": "你猜 {amount}",
    "Right!": "猜中了",
    "Not this time": "没猜中",
    "Scan to join": "扫码进群",
    "The group is full": "群已满员",
    "This group is closed": "该群已关闭",
    "Cumulative spend of {amount} or more": "累计消费满 {amount} 才可进群",
    "{n} members": "{n} 人",
    "You may join this group": "你符合入群条件",
    "You cannot join this group yet": "暂时不能加入该群",
    "Join the group": "立即入群",
    "Join again": "重新入群",
    "Every sub-group is full at the moment: try again later.": "所有子群都已满员，请稍后再试。",
    "Join to see the chat, check in and take part in the group's activities.": "入群后可查看群聊、每日签到并参与群活动。",  # noqa: E501
    "How to enter": "如何进入",
    "Open this page from the message centre of the JD app, or from the link the shop sent you: you enter with your JD account.": "请从京东 App 的消息中心，或店铺发给你的入群链接打开本页，即可以你的京东账号进入。",  # noqa: E501
    "Enter with a JD account (demo)": "以京东账号进入（演示）",
    "Demo and test environments only: in production buyers arrive through the shop's signed JD link.": "仅演示与测试环境可用：正式环境中买家通过店铺的京东签名链接进入。",  # noqa: E501
    "Enter": "进入",
    "Please enter a JD account.": "请填写京东账号。",
    # membership
    "My sub-group": "我的子群",
    "Leave the group": "退出该群",
    "Leave this group? You can join again later.": "确定退出该群吗？之后还可以重新加入。",
    # chat
    "Chat": "群聊",
    "Me": "我",
    "Member {tail}": "群成员{tail}",
    "Shop service": "店铺客服",
    "Official": "官方",
    "Group notice": "群通知",
    "@all": "@所有人",
    "No messages yet: say hello!": "还没有消息，来打个招呼吧！",
    "Say something…": "说点什么…",
    "Send": "发送",
    "New messages appear by themselves.": "新消息会自动出现。",
    "at most {n} characters": "最多 {n} 个字",
    # pinned
    "Essentials": "群精华",
    "FAQ": "常见问题",
    "Daily notes": "每日活动",
    "Group rules": "群规",
    "Nothing here yet.": "暂无内容。",
    # check-in and growth
    "Check in": "签到",
    "Last 7 days": "近 7 天",
    "Every 7th day in a row doubles the reward.": "连续签到每满 7 天，奖励翻倍。",
    "Growth value": "成长值",
    "{n} more to {level}": "再得 {n} 成长值升级为「{level}」",
    "Top level reached": "已达最高等级",
    # activities
    "Group activities": "群活动",
    "No activity is running right now.": "暂无进行中的活动。",
    "Coming up": "即将开始",
    "Ends {at}": "{at} 结束",
    "Starts {at}": "{at} 开始",
    "Group price": "群专享价",
    "Visible after joining": "入群可见",
    "Buy": "抢购",
    "All gone": "已抢光",
    "Got it": "已抢到",
    "Round {n}": "第 {n} 轮",
    "{n} of {total} packets left": "剩余 {n}/{total} 个",
    "Grab a red packet": "抢红包",
    "You got {amount}": "抢到 {amount}",
    "All taken": "已抢完",
    "Claim": "领取",
    "Claimed": "已领取",
    "Guess the price of {name}": "猜猜「{name}」的价格",
    "Your guess (yuan)": "你的竞猜价（元）",
    "Guess": "提交竞猜",
    "You guessed {amount}: right!": "你猜 {amount}，猜中了！",
    "You guessed {amount}: not this time.": "你猜 {amount}，这次没猜中。",
    "Join the group to take part.": "入群后即可参与。",
}


def h5_text(lang: str, key: str, **values: object) -> str:
    """The buyer-page text for ``key`` in ``lang`` ('zh' default, 'en'), placeholders filled."""
    text = H5_CATALOG.get(key, key) if lang != "en" else key
    return text.format(**values) if values else text


def consent_text(shop_name: str, lang: str) -> str:
    """The member terms and privacy statement the join page shows, and stores as the member's consent."""
    if lang == "en":
        return (
            f"Member terms and privacy policy: I join the {shop_name} brand membership of my own free will. "
            "The shop keeps my mobile number encrypted and uses it, with my name and JD account if I give them, "
            "only to identify me as a member and to provide points, tiers and member benefits; it is not given "
            "to unrelated third parties. I can leave the membership or withdraw this consent at any time "
            "through customer service."
        )
    return (
        f"会员协议与隐私政策：本人自愿加入「{shop_name}」品牌会员。店铺将加密保存本人的手机号"
        "（以及本人填写的姓名、京东账号），仅用于会员身份识别及积分、等级与会员权益服务，"
        "不会提供给无关第三方。本人可随时通过客服申请退会或撤回本同意。"
    )
