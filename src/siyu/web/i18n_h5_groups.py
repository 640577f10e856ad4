"""Texts of the buyer's group page (H5): keys in English, Chinese the default, like :mod:`siyu.web.i18n_h5`.

Kept in its own catalogue so the membership pages and the group page can grow apart; a key missing
here falls back to the membership catalogue (the frame's "Back", "Page expired", …).
"""

from __future__ import annotations

from siyu.web.i18n_h5 import H5_CATALOG

GROUP_CATALOG: dict[str, str] = {
    # frame
    "Group chat": "群聊",
    "Group service of {shop}": "{shop} 社群服务",
    "This group does not exist. Check the link or the QR code.": "该群不存在，请检查链接或二维码。",
    "The entry link expired or is not valid. Open the group again from the JD app.": "入群链接已过期或无效，请从京东 App 重新打开本群。",  # noqa: E501
    # entry and joining
    "Join rule": "入群条件",
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
    "JD account": "京东账号",
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
    "Daily check-in": "每日签到",
    "Checked in {days} days in a row": "已连续签到 {days} 天",
    "Check in": "签到",
    "Checked in today": "今日已签到",
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
    "{n} left": "剩余 {n}",
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


def group_text(lang: str, key: str, **values: object) -> str:
    """The group-page text for ``key`` in ``lang`` ('zh' default, 'en'), placeholders filled."""
    text = key if lang == "en" else GROUP_CATALOG.get(key) or H5_CATALOG.get(key, key)
    return text.format(**values) if values else text
