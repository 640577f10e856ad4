"""Pure rules of SMS: length and parts, the body template and its variables, the composer's lints,
opt-out replies and cost. No database, no framework: everything here is tested without one.

Where the numbers come from (SPEC §4, public docs of Aliyun and Tencent Cloud SMS, 2025–2026): the
length counts the signature with its 【】 and the rendered variables; ≤ 70 characters is one message,
a longer one is split and billed per 67; at most 500 characters in all. The carriers encode Chinese
SMS in UCS-2, so a character outside the Basic Multilingual Plane (most emoji) takes two units; the
default :class:`ProviderRules` counts those as 2 (``count_utf16``). These numbers are per-provider
settings, not constants: :data:`PROVIDERS` holds the three we know.

Template placeholders are ``{name}`` or ``{name|fallback}`` with a name from :data:`VARIABLES`;
braces are reserved for placeholders (a literal ``{`` or ``}`` cannot be written).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from siyu.campaigns.errors import TemplateSyntaxError
from siyu.core.errors import InvalidInput

PURPOSES = ("marketing", "notification")


# ---- providers -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProviderRules:
    """What one SMS provider accepts and how it bills. Times are the shop's local time."""

    key: str
    label_zh: str
    label_en: str
    single_limit: int = 70
    """A message of at most this many characters is one SMS."""
    part_limit: int = 67
    """A longer message is billed per this many characters (the rest carries the concatenation header)."""
    max_length: int = 500
    """The longest message the provider accepts, signature included."""
    signature_min: int = 2
    signature_max: int = 12
    variable_max: int = 35
    """The longest rendered value of one variable (Aliyun: 35); 0 = no limit."""
    link_in_variable: bool = True
    """Tencent Cloud refuses links (short links included) as variable values."""
    optout_text: str = "拒收请回复R"
    quiet_start: time = time(20, 0)
    quiet_end: time = time(8, 0)
    """Marketing SMS is not delivered from ``quiet_start`` to ``quiet_end`` (SPEC §4: 20:00–08:00)."""
    count_utf16: bool = True
    """Count characters outside the BMP (emoji) as 2, like the carriers' UCS-2."""

    def __post_init__(self) -> None:
        if not 0 < self.part_limit <= self.single_limit <= self.max_length:
            raise ValueError("need 0 < part_limit <= single_limit <= max_length")
        if not 0 < self.signature_min <= self.signature_max:
            raise ValueError("need 0 < signature_min <= signature_max")
        if self.variable_max < 0:
            raise ValueError("variable_max cannot be negative")


GENERIC = ProviderRules("generic", "通用", "generic")
PROVIDERS: dict[str, ProviderRules] = {
    "generic": GENERIC,
    "aliyun": ProviderRules("aliyun", "阿里云短信", "Aliyun SMS", variable_max=35),
    # Tencent: enterprise accounts have no fixed per-variable limit (the console's template page is the
    # authority; personal accounts 12), and a link cannot be a variable value.
    "tencent": ProviderRules("tencent", "腾讯云短信", "Tencent Cloud SMS", variable_max=0, link_in_variable=False),
}

OPTOUT_TEXTS = ("拒收请回复R", "回T退订", "退订回T", "回TD退订", "退订回TD", "回N退订", "退订回N", "拒收回R")
"""Opt-out phrases recognised in a body; the first is the current standard (older: 「回T退订」)."""


# ---- length, parts, cost -------------------------------------------------------------------------------
def sms_length(text: str, rules: ProviderRules = GENERIC) -> int:
    """Characters as the provider counts them: every character 1, or 2 outside the BMP with
    ``count_utf16`` (so a ZWJ emoji sequence counts all its UTF-16 units)."""
    if rules.count_utf16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def sms_parts(length: int, rules: ProviderRules = GENERIC) -> int:
    """Messages billed for ``length`` characters: 0 for nothing, 1 up to 70, else one per 67 begun."""
    if length < 0:
        raise ValueError("length cannot be negative")
    if length == 0:
        return 0
    if length <= rules.single_limit:
        return 1
    return -(-length // rules.part_limit)


def full_text(signature: str, body: str) -> str:
    """The message as the phone shows it: 【signature】 then the body."""
    return f"【{signature}】{body}"


def cost_fen(parts: int, price_fen_per_part: int) -> int:
    """What ``parts`` billed messages cost, in fen."""
    if parts < 0 or price_fen_per_part < 0:
        raise ValueError("parts and price cannot be negative")
    return parts * price_fen_per_part


# ---- template ------------------------------------------------------------------------------------------
VARIABLES: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "last_product": ("最近购买商品", "last product bought"),
    "coupon": ("优惠券面额", "coupon amount"),
    "link": ("专属短链", "personal short link"),
}
"""The variables a body may use: name → (Chinese label, English label)."""

_NO_BRACES_ZH = "花括号 { } 只用于变量，不支持在正文中原样输出花括号"
_NO_BRACES_EN = "braces are only for variables; literal braces are not supported"


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    """The body with values substituted (the fallback when a value is empty or missing)."""
    missing: tuple[str, ...]
    """Variables with neither a value nor a fallback; rendered as ""."""
    too_long: tuple[str, ...]
    """Variables whose rendered value is longer than the provider's ``variable_max``."""


class Template:
    """A parsed SMS body. Parse once, render per recipient: :meth:`render` is a list fill and a join."""

    __slots__ = ("_literals", "_slots", "adjacent", "body", "fallbacks", "variables")

    body: str
    variables: tuple[str, ...]
    """Distinct variable names, in the order of their first use."""
    fallbacks: dict[str, str]
    """Variable → fallback text, from its first placeholder that gives one; it also serves the
    variable's placeholders that give none."""
    adjacent: tuple[tuple[str, str], ...]
    """Pairs of placeholders with nothing (or only spaces) between them; providers refuse these."""

    def __init__(
        self,
        body: str,
        literals: list[str],
        slots: tuple[tuple[int, str, str | None], ...],
        adjacent: tuple[tuple[str, str], ...],
    ) -> None:
        self.body = body
        self._literals = literals
        self._slots = slots
        self.adjacent = adjacent
        self.variables = tuple(dict.fromkeys(name for _, name, _ in slots))
        fallbacks: dict[str, str] = {}
        for _, name, fallback in slots:
            if fallback is not None:
                fallbacks.setdefault(name, fallback)
        self.fallbacks = fallbacks

    def __repr__(self) -> str:
        return f"Template({self.body!r})"

    @classmethod
    def parse(cls, body: str, known: Mapping[str, tuple[str, str]] = VARIABLES) -> Template:
        """Read ``{var}`` / ``{var|fallback}`` placeholders; :class:`TemplateSyntaxError` for an unknown
        or empty name or unbalanced braces (literal braces are not supported)."""
        pieces: list[str] = []  # literal text, with "" at every placeholder's index
        slots: list[tuple[int, str, str | None]] = []
        adjacent: list[tuple[str, str]] = []
        literal_since_last = True
        i, n = 0, len(body)
        while i < n:
            opening = body.find("{", i)
            closing = body.find("}", i)
            if closing != -1 and (opening == -1 or closing < opening):
                raise TemplateSyntaxError(
                    f"第 {closing + 1} 个字符处的「}}」没有对应的「{{」；{_NO_BRACES_ZH}",
                    f"'}}' at character {closing + 1} has no matching '{{'; {_NO_BRACES_EN}",
                    position=closing + 1,
                )
            if opening == -1:
                pieces.append(body[i:])
                break
            if opening > i:
                pieces.append(body[i:opening])
                if not body[i:opening].isspace():
                    literal_since_last = True
            end = body.find("}", opening + 1)
            nested = body.find("{", opening + 1)
            if end == -1 or (nested != -1 and nested < end):
                raise TemplateSyntaxError(
                    f"第 {opening + 1} 个字符处的「{{」没有闭合的「}}」；{_NO_BRACES_ZH}",
                    f"'{{' at character {opening + 1} is not closed by '}}'; {_NO_BRACES_EN}",
                    position=opening + 1,
                )
            name, bar, fallback = body[opening + 1 : end].partition("|")
            name = name.strip()
            if not name:
                raise TemplateSyntaxError(
                    f"第 {opening + 1} 个字符处的变量没有名称；{_NO_BRACES_ZH}",
                    f"the placeholder at character {opening + 1} has no name; {_NO_BRACES_EN}",
                    position=opening + 1,
                )
            if name not in known:
                names = "、".join(f"{{{k}}}（{v[0]}）" for k, v in known.items())
                names_en = ", ".join(f"{{{k}}} ({v[1]})" for k, v in known.items())
                raise TemplateSyntaxError(
                    f"未知的变量「{name}」，可用的变量：{names}",
                    f"unknown variable '{name}'; available: {names_en}",
                    variable=name,
                )
            if slots and not literal_since_last:
                adjacent.append((slots[-1][1], name))
            slots.append((len(pieces), name, fallback if bar else None))
            pieces.append("")
            literal_since_last = False
            i = end + 1
        # a fallback belongs to the variable: "{name|亲}…{name}" shows 亲 in both places
        first: dict[str, str] = {}
        for _, var, own in slots:
            if own is not None:
                first.setdefault(var, own)
        filled = tuple((index, var, first.get(var) if own is None else own) for index, var, own in slots)
        return cls(body, pieces, filled, tuple(adjacent))

    def render(self, values: Mapping[str, str], rules: ProviderRules = GENERIC) -> Rendered:
        """The body for one recipient. An empty (or blank) value takes the placeholder's fallback; with
        neither, the variable renders as "" and is listed in ``missing``. ``too_long`` uses
        ``rules.variable_max`` (the generic rules: 35)."""
        out = self._literals.copy()
        missing: list[str] | None = None
        too_long: list[str] | None = None
        limit = rules.variable_max
        wide = rules.count_utf16
        get = values.get
        for index, name, fallback in self._slots:
            value = get(name)
            if not value or value.isspace():
                if fallback is None:
                    if missing is None:
                        missing = [name]
                    elif name not in missing:
                        missing.append(name)
                    continue
                value = fallback
            out[index] = value
            # a value can only be too long if it has more than limit/2 characters (each counts 1 or 2)
            if (
                limit
                and len(value) * 2 > limit
                and (len(value) > limit or (wide and len(value.encode("utf-16-le")) // 2 > limit))
            ):
                if too_long is None:
                    too_long = [name]
                elif name not in too_long:
                    too_long.append(name)
        return Rendered(
            "".join(out),
            tuple(missing) if missing else (),
            tuple(too_long) if too_long else (),
        )

    def preview(self, sample: Mapping[str, str] | None = None, rules: ProviderRules = GENERIC) -> Rendered:
        """Render with ``sample`` values; a variable without a sample value or fallback shows its
        Chinese label (so the composer can show a readable message before any recipient is chosen)."""
        values = {name: VARIABLES.get(name, (name, name))[0] for name in self.variables if name not in self.fallbacks}
        if sample:
            values.update({k: v for k, v in sample.items() if v and not v.isspace()})
        return self.render(values, rules)


# ---- lints ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Lint:
    code: str
    level: str  # "block" | "warn"
    zh: str
    en: str

    def message(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh


BLOCK, WARN = "block", "warn"

BENEFIT_WINDOW = 20
"""The main benefit should appear within this many characters (phones preview 15–20) [seed]."""

BENEFIT_WORDS = (
    "免费", "包邮", "送", "赠", "半价", "特价", "秒杀", "红包", "优惠", "福利", "满减", "立减", "直降",
    "买一送一", "第二件", "折扣", "低至", "返现", "免单", "礼包", "好礼", "专享价", "到手价", "清仓",
    "一折", "二折", "两折", "三折", "四折", "五折", "六折", "七折", "八折", "九折",
)  # fmt: skip
"""Words that name a benefit. With :data:`BENEFIT_PATTERN` (an amount: 2折, 20元, 满300减50, 15元券,
50%, 第2件, 99起, ¥99) they decide whether the first 20 characters carry one."""

BENEFIT_PATTERN = re.compile(
    r"\d+(?:\.\d+)?\s*(?:折|元|块|减|券|%|件|起)|[¥￥]\s*\d|" + "|".join(map(re.escape, BENEFIT_WORDS))
)

DEFAULT_FORBIDDEN_WORDS = (
    # absolute terms, Advertising Law art. 9 (3): 国家级、最高级、最佳 and the like
    "最低价", "最便宜", "最好", "最佳", "最优", "最高级", "最先进", "最强", "第一", "国家级", "世界级",
    "顶级", "极品", "唯一", "首个", "首选", "万能", "绝对", "100%有效", "史无前例",
    # spam / finance terms the carriers block
    "贷款", "套现", "发票", "博彩", "赌博", "彩票", "刷单", "代开",
)  # fmt: skip
"""A shop's forbidden-word list starts as this; the shop edits its own copy."""

FORBIDDEN_EXCEPTIONS = ("第一次", "第一波", "第一天", "第一批", "第一单", "第一件", "第一弹", "第一轮", "第一期")
"""Ordinary compounds that contain a forbidden word but are not absolute claims ("618第一波")."""

_LINK = re.compile(
    r"https?://\S+"
    r"|(?<![A-Za-z0-9.])(?:[A-Za-z0-9-]+\.)+(?:cn|com|net|top|vip|cc|me|ly|io|co|link)"
    r"(?:/[A-Za-z0-9_\-./?=&%#]*)?(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    """Full-width → half-width (NFKC), upper case, no whitespace: how phrases are matched."""
    return "".join(unicodedata.normalize("NFKC", text).upper().split())


_OPTOUT_NORMED = tuple(_norm(t) for t in OPTOUT_TEXTS)


def _has_optout(normed_body: str, rules: ProviderRules) -> tuple[bool, bool]:
    """(any opt-out phrase present, the provider's current phrase present)."""
    current = _norm(rules.optout_text)
    has_current = bool(current) and current in normed_body
    return has_current or any(p in normed_body for p in _OPTOUT_NORMED), has_current


def find_forbidden(text: str, words: Sequence[str]) -> list[str]:
    """Forbidden words in ``text`` (normalised, case-insensitive), in list order, each once; an
    occurrence inside one of :data:`FORBIDDEN_EXCEPTIONS` does not count."""
    normed = unicodedata.normalize("NFKC", text).casefold()
    found: list[str] = []
    for word in words:
        w = unicodedata.normalize("NFKC", word).casefold().strip()
        if not w or word in found:
            continue
        start = normed.find(w)
        while start != -1:
            if not _excused(normed, start, w):
                found.append(word)
                break
            start = normed.find(w, start + 1)
    return found


def _excused(text: str, start: int, word: str) -> bool:
    for compound in FORBIDDEN_EXCEPTIONS:
        offset = compound.find(word)
        if offset != -1 and start - offset >= 0 and text.startswith(compound, start - offset):
            return True
    return False


def lint_message(
    *,
    signature: str,
    body: str,
    purpose: str,
    rules: ProviderRules,
    forbidden_words: Sequence[str],
    sample: Mapping[str, str] | None = None,
) -> list[Lint]:
    """Everything the composer should say about a message, blocking lints first.

    Length, parts and the benefit position use the message rendered with ``sample`` (a value per
    variable; where a sample value is missing: the fallback, else the variable's label). With a
    ``sample``, a variable it leaves empty without fallback gives ``variable_missing``, and one longer
    than the provider allows gives ``variable_too_long``.
    """
    if purpose not in PURPOSES:
        raise InvalidInput(
            f"未知的短信用途「{purpose}」（营销 marketing / 通知 notification）",
            f"unknown SMS purpose '{purpose}' (marketing or notification)",
            code="sms_unknown_purpose",
        )
    marketing = purpose == "marketing"
    lints: list[Lint] = []
    add = lints.append

    sig = signature.strip()
    if not sig:
        add(Lint("signature_missing", BLOCK, "缺少短信签名", "the SMS signature is missing"))
    else:
        if not rules.signature_min <= sms_length(sig, rules) <= rules.signature_max:
            add(
                Lint(
                    "signature_length",
                    BLOCK,
                    f"签名须为 {rules.signature_min}–{rules.signature_max} 个字（当前 {sms_length(sig, rules)} 个）",
                    f"the signature must have {rules.signature_min}–{rules.signature_max} characters "
                    f"(now {sms_length(sig, rules)})",
                )
            )
        if "【" in sig or "】" in sig:
            add(
                Lint(
                    "signature_brackets",
                    BLOCK,
                    "签名中不能包含【】，系统会自动加上",
                    "the signature cannot contain 【】; they are added for you",
                )
            )

    if not body.strip():
        add(Lint("body_empty", BLOCK, "短信正文为空", "the message body is empty"))
        return _ordered(lints)

    if "【" in body or "】" in body:
        add(
            Lint(
                "body_brackets",
                BLOCK,
                "正文中不能出现【】（服务商会拒绝，易与签名混淆）",
                "the body cannot contain 【】 (providers refuse it: it looks like a signature)",
            )
        )

    template: Template | None
    try:
        template = Template.parse(body)
    except TemplateSyntaxError as exc:
        template = None
        add(Lint("template_syntax", BLOCK, exc.zh, exc.en))

    normed = _norm(body)
    if template is not None:
        for left, right in template.adjacent:
            add(
                Lint(
                    "adjacent_variables",
                    BLOCK,
                    f"变量 {{{left}}} 和 {{{right}}} 紧挨在一起，中间需要有文字",
                    f"variables {{{left}}} and {{{right}}} are side by side; put some text between them",
                )
            )
        if "link" in template.variables and not rules.link_in_variable:
            add(
                Lint(
                    "link_in_variable",
                    BLOCK,
                    f"{rules.label_zh}不允许把链接放在变量里：请换用允许的服务商，或在正文中写固定链接",
                    f"{rules.label_en} does not allow a link inside a variable: use another provider or a "
                    "fixed link in the body",
                )
            )
    uses_link_var = template is not None and "link" in template.variables
    if marketing and not uses_link_var and not _LINK.search(body):
        add(
            Lint(
                "link_missing",
                WARN,
                "正文中没有链接（{link} 专属短链或网址），客户无法直接进店",
                "the body has no link ({link} or a URL): customers cannot go straight to the shop",
            )
        )

    has_optout, has_current = _has_optout(normed, rules)
    if marketing and not has_optout:
        add(
            Lint(
                "optout_missing",
                BLOCK,
                f"营销短信必须带退订方式，请在末尾加上「{rules.optout_text}」",
                f"a marketing SMS must say how to refuse: end it with 「{rules.optout_text}」",
            )
        )
    elif marketing and not has_current:
        add(
            Lint(
                "optout_outdated",
                WARN,
                f"退订方式已过时，现行标准写法是「{rules.optout_text}」",
                f"the opt-out text is outdated; the current standard is 「{rules.optout_text}」",
            )
        )
    if not marketing and has_optout:
        add(
            Lint(
                "optout_in_notification",
                BLOCK,
                "通知短信不能带退订文字（带了会被当作营销短信）",
                "a notification SMS must not carry opt-out text (it would be treated as marketing)",
            )
        )

    preview = template.preview(sample, rules) if template is not None else None
    shown = full_text(sig, preview.text if preview is not None else body)
    if template is not None and preview is not None and sample is not None:
        given = {k for k, v in sample.items() if v and not v.isspace()}
        for name in template.variables:
            if name not in given and name not in template.fallbacks:
                label_zh, label_en = VARIABLES[name]
                add(
                    Lint(
                        "variable_missing",
                        WARN,
                        f"示例客户没有「{label_zh}」，建议写成 {{{name}|默认文字}}",
                        f"the sample customer has no {label_en}; consider {{{name}|default text}}",
                    )
                )
        for name in preview.too_long:
            add(
                Lint(
                    "variable_too_long",
                    BLOCK,
                    f"变量 {{{name}}} 的值超过 {rules.variable_max} 个字（{rules.label_zh}的上限）",
                    f"the value of {{{name}}} is longer than {rules.variable_max} characters "
                    f"({rules.label_en}'s limit)",
                )
            )

    if marketing and not BENEFIT_PATTERN.search(shown[:BENEFIT_WINDOW]):
        add(
            Lint(
                "benefit_late",
                WARN,
                f"前 {BENEFIT_WINDOW} 个字里没有利益点（如「2折起」「满300减50」「包邮」），"
                "手机预览只显示前 15–20 个字",
                f"no benefit (e.g. '2折起', '满300减50', '包邮') within the first {BENEFIT_WINDOW} characters; "
                "phones preview only 15–20",
            )
        )

    for word in find_forbidden(full_text(sig, body) + "\n" + shown, forbidden_words):
        add(
            Lint(
                "forbidden_word",
                BLOCK,
                f"包含禁用词「{word}」",
                f"contains the forbidden word 「{word}」",
            )
        )

    length = sms_length(shown, rules)
    if length > rules.max_length:
        add(
            Lint(
                "too_long",
                BLOCK,
                f"短信共 {length} 个字，超过上限 {rules.max_length} 个字",
                f"the message has {length} characters, more than the limit of {rules.max_length}",
            )
        )
    parts = sms_parts(length, rules)
    if parts > 1:
        add(
            Lint(
                "multi_part",
                WARN,
                f"短信共 {length} 个字，超过 {rules.single_limit} 字，将按 {parts} 条计费（费用为单条的 {parts} 倍）",
                f"the message has {length} characters, over {rules.single_limit}: it is billed as {parts} "
                f"messages ({parts}× the cost)",
            )
        )
    return _ordered(lints)


def _ordered(lints: list[Lint]) -> list[Lint]:
    return sorted(lints, key=lambda lint: lint.level != BLOCK)


def blocking(lints: Sequence[Lint]) -> list[Lint]:
    """The lints that stop a send."""
    return [lint for lint in lints if lint.level == BLOCK]


# ---- inbound replies -----------------------------------------------------------------------------------
OPTOUT_REPLIES = frozenset({"T", "TD", "R", "N", "0000"})
"""A whole reply equal to one of these (after normalising) is an opt-out."""
OPTOUT_REPLY_WORDS = ("退订", "拒收", "取消订阅", "不要再发", "别再发", "别发了")
"""A reply containing one of these is an opt-out."""


def _compact_reply(text: str) -> str:
    """NFKC (full-width → half-width), upper case, without whitespace, punctuation, symbols or controls."""
    normed = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in normed if unicodedata.category(ch)[0] not in "PZSC")


def is_opt_out_reply(text: str, extra_words: Sequence[str] = ()) -> bool:
    """Whether an inbound reply refuses further messages: exactly T, TD, R, N or 0000 (any case, full- or
    half-width, punctuation ignored), or containing 退订 / 拒收 / 取消订阅 / 不要再发, or equal to or
    containing one of the shop's ``extra_words`` (a Latin-only extra word, like the letter codes, must be
    the whole reply: "STOP" is not found in "STOPPED"). "TDK" or "TRUE" are not opt-outs."""
    reply = _compact_reply(text)
    if not reply:
        return False
    if reply in OPTOUT_REPLIES or any(word in reply for word in OPTOUT_REPLY_WORDS):
        return True
    for word in extra_words:
        w = _compact_reply(word)
        if w and (w == reply or (not w.isascii() and w in reply)):
            return True
    return False
