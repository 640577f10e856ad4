"""SMS length and parts, the body template, the composer's lints and opt-out replies (pure, no database)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.campaigns import domain
from siyu.campaigns.domain import (
    DEFAULT_FORBIDDEN_WORDS,
    GENERIC,
    OPTOUT_TEXTS,
    PROVIDERS,
    VARIABLES,
    Lint,
    ProviderRules,
    Template,
    blocking,
    cost_fen,
    full_text,
    is_opt_out_reply,
    lint_message,
    sms_length,
    sms_parts,
)
from siyu.campaigns.errors import TemplateSyntaxError
from siyu.core.errors import InvalidInput

ALIYUN, TENCENT = PROVIDERS["aliyun"], PROVIDERS["tencent"]
SIG = "某某旗舰店"
SPEC_BODY = "亲爱的{name}，618大促今晚0点开始，店铺全场2折起，戳 {link} 拒收请回复R"
SAMPLE = {"name": "梁霞", "link": "https://3.cn/1a2B3c4D"}
EARLY_BODY = "全场2折起！亲爱的{name}，618大促今晚0点开始，戳 {link} 拒收请回复R"


def lint(
    body: str,
    *,
    signature: str = SIG,
    purpose: str = "marketing",
    rules: ProviderRules = ALIYUN,
    words: tuple[str, ...] = DEFAULT_FORBIDDEN_WORDS,
    sample: dict[str, str] | None = SAMPLE,
) -> list[Lint]:
    return lint_message(
        signature=signature, body=body, purpose=purpose, rules=rules, forbidden_words=words, sample=sample
    )


def codes(lints: list[Lint]) -> list[str]:
    return [x.code for x in lints]


# ---- length and parts ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("你好世界", 4),
        ("Hi, 2折起!", 8),
        ("满300减50，ＡＢＣ１２３。", 15),
        ("【某某旗舰店】", 7),
        ("😀", 2),  # outside the BMP: two UCS-2 units
        ("618😀大促", 7),
        ("👨\u200d👩\u200d👧", 8),  # ZWJ family: 3 emoji × 2 + 2 joiners
        ("❤", 1),  # inside the BMP
    ],
)
def test_sms_length_counts_every_character_once_and_emoji_as_their_utf16_units(text: str, length: int) -> None:
    assert sms_length(text) == length


def test_a_provider_that_counts_code_points_counts_an_emoji_once() -> None:
    rules = ProviderRules("plain", "按字符", "code points", count_utf16=False)
    assert sms_length("😀", rules) == 1
    assert sms_length("👨\u200d👩\u200d👧", rules) == 5


def test_single_sms_holds_70_characters_including_signature() -> None:
    signed = full_text(SIG, "字" * 63)
    assert signed.startswith("【某某旗舰店】")
    assert sms_length(signed) == 70
    assert sms_parts(sms_length(signed)) == 1
    assert sms_parts(sms_length(full_text(SIG, "字" * 64))) == 2


@pytest.mark.parametrize(
    ("length", "parts"), [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4), (500, 8)]
)
def test_longer_sms_is_billed_per_67_characters(length: int, parts: int) -> None:
    assert sms_parts(length) == parts


def test_negative_length_is_refused() -> None:
    with pytest.raises(ValueError):
        sms_parts(-1)


def test_cost_is_parts_times_price() -> None:
    assert cost_fen(3, 5) == 15
    assert cost_fen(0, 5) == 0
    with pytest.raises(ValueError):
        cost_fen(-1, 5)


@given(st.integers(min_value=0, max_value=2_000), st.integers(min_value=0, max_value=2_000))
def test_parts_never_decrease_as_the_message_grows(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert sms_parts(low) <= sms_parts(high)


@given(st.integers(min_value=71, max_value=5_000))
def test_multi_part_messages_fit_exactly_the_parts_billed(length: int) -> None:
    parts = sms_parts(length)
    assert parts * 67 >= length > (parts - 1) * 67


def test_providers_carry_their_own_rules() -> None:
    assert set(PROVIDERS) == {"generic", "aliyun", "tencent"}
    assert ALIYUN.variable_max == 35 and ALIYUN.link_in_variable
    assert not TENCENT.link_in_variable
    for rules in PROVIDERS.values():
        assert (rules.single_limit, rules.part_limit, rules.max_length) == (70, 67, 500)
        assert (rules.signature_min, rules.signature_max) == (2, 12)
        assert rules.optout_text == "拒收请回复R" == OPTOUT_TEXTS[0]
        assert (rules.quiet_start.hour, rules.quiet_end.hour) == (20, 8)


def test_inconsistent_provider_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        ProviderRules("x", "x", "x", single_limit=60, part_limit=67)


# ---- template ------------------------------------------------------------------------------------------
def test_template_lists_its_variables_in_order_once_with_their_fallbacks() -> None:
    t = Template.parse("{name|亲}，您的{coupon}券已到账，{name}快来 {link}")
    assert t.variables == ("name", "coupon", "link")
    assert t.fallbacks == {"name": "亲"}
    assert t.adjacent == ()


def test_render_substitutes_values() -> None:
    r = Template.parse("亲爱的{name}，{coupon}券已到账").render({"name": "梁霞", "coupon": "20元"})
    assert r.text == "亲爱的梁霞，20元券已到账"
    assert r.missing == () and r.too_long == ()


@pytest.mark.parametrize("values", [{}, {"name": ""}, {"name": "  "}])
def test_render_uses_the_fallback_when_the_value_is_empty_or_missing(values: dict[str, str]) -> None:
    r = Template.parse("{name|亲}，你好").render(values)
    assert r.text == "亲，你好"
    assert r.missing == ()


def test_a_fallback_serves_every_placeholder_of_its_variable() -> None:
    assert Template.parse("{name|亲}你好，{name}再见，{name|朋友}").render({}).text == "亲你好，亲再见，朋友"


def test_a_variable_without_value_or_fallback_renders_empty_and_is_reported_once() -> None:
    r = Template.parse("{name}你好，{name}再见，{coupon}").render({"coupon": "5元"})
    assert r.text == "你好，再见，5元"
    assert r.missing == ("name",)


def test_an_explicitly_empty_fallback_is_not_missing() -> None:
    r = Template.parse("亲爱的{name|}会员").render({})
    assert r.text == "亲爱的会员" and r.missing == ()


def test_a_value_longer_than_the_providers_variable_limit_is_reported() -> None:
    t = Template.parse("您买的{last_product}到了")
    assert t.render({"last_product": "字" * 35}, ALIYUN).too_long == ()
    assert t.render({"last_product": "字" * 36}, ALIYUN).too_long == ("last_product",)
    # emoji count 2 towards the limit as well
    assert t.render({"last_product": "😀" * 17 + "a"}, ALIYUN).too_long == ()
    assert t.render({"last_product": "😀" * 18}, ALIYUN).too_long == ("last_product",)
    # Tencent (enterprise) has no fixed limit
    assert t.render({"last_product": "字" * 200}, TENCENT).too_long == ()


@pytest.mark.parametrize(
    "body",
    ["{nmae}你好", "{name你好", "你好name}", "{na{me}}", "{}你好", "{|亲}你好", "{ }", "618 {大促}"],
)
def test_template_syntax_errors_are_refused_in_both_languages(body: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        Template.parse(body)
    err = caught.value
    assert err.code == "sms_template_syntax" and err.status == 422
    assert err.zh and err.en


def test_an_unbalanced_brace_says_literal_braces_are_not_supported() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        Template.parse("价格 {99元")
    assert "literal braces are not supported" in caught.value.en
    assert "不支持" in caught.value.zh


def test_an_unknown_variable_names_the_available_ones() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        Template.parse("{nickname}")
    assert "nickname" in caught.value.en and "{name}" in caught.value.en


def test_spaces_inside_a_placeholder_name_are_ignored() -> None:
    assert Template.parse("{ name |亲}").render({}).text == "亲"


_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\|([^{}]*))?\}")


def _reference_render(body: str, values: dict[str, str]) -> str:
    """A slow, independent implementation: one regex substitution."""

    fallbacks: dict[str, str] = {}
    for m in _PLACEHOLDER.finditer(body):
        if m.group(2) is not None:
            fallbacks.setdefault(m.group(1), m.group(2))

    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(1), "")
        if not value or value.isspace():
            own = m.group(2)
            return own if own is not None else fallbacks.get(m.group(1), "")
        return value

    return _PLACEHOLDER.sub(sub, body)


@given(st.dictionaries(st.sampled_from([*VARIABLES, "other"]), st.text()))
def test_render_never_raises_and_agrees_with_a_regex_implementation(values: dict[str, str]) -> None:
    body = "【x】{name|亲}好，{last_product}，{coupon}券，{name}，戳 {link} 拒收请回复R"
    r = Template.parse(body).render(values, ALIYUN)
    assert r.text == _reference_render(body, values)
    assert set(r.missing) <= {"last_product", "coupon", "link"}  # name has a fallback


@given(st.text(max_size=60))
def test_parse_either_succeeds_or_raises_template_syntax_error(body: str) -> None:
    try:
        t = Template.parse(body)
    except TemplateSyntaxError:
        return
    assert t.render({}).text == _reference_render(body, {})


# ---- lints ---------------------------------------------------------------------------------------------
def test_the_spec_example_has_no_blocking_lint_but_its_benefit_comes_after_20_characters() -> None:
    # 【某某旗舰店】亲爱的梁霞，618大促今晚 | 0点开始，店铺全场2折起… — "2折起" starts at character 30
    shown = full_text(SIG, Template.parse(SPEC_BODY).render(SAMPLE).text)
    assert shown.index("2折") == 29
    assert codes(lint(SPEC_BODY)) == ["benefit_late"]
    assert blocking(lint(SPEC_BODY)) == []


def test_a_benefit_within_the_first_20_characters_gives_no_lint_at_all() -> None:
    assert lint(EARLY_BODY) == []


def test_without_a_sample_the_benefit_is_judged_with_fallbacks_and_labels() -> None:
    assert codes(lint(SPEC_BODY, sample=None)) == ["benefit_late"]
    assert lint(EARLY_BODY, sample=None) == []
    # the coupon's label 优惠券面额 stands in for the amount, which is a benefit
    assert "benefit_late" not in codes(lint("{coupon}已到账，戳 {link} 拒收请回复R", sample=None))


@pytest.mark.parametrize(
    "text", ["满300减50", "15元券", "5折包邮", "送好礼", "半价", "秒杀", "红包", "¥99", "50%", "买一送一", "第2件"]
)
def test_benefit_words_and_amounts_count_as_a_benefit(text: str) -> None:
    assert "benefit_late" not in codes(lint(f"{text}！亲爱的{{name}}，戳 {{link}} 拒收请回复R"))


def test_a_benefit_cut_by_the_20th_character_is_late() -> None:
    body = "亲爱的{name}，年中大促今晚2折起 {link} 拒收请回复R"  # 2 is the 20th character, 折 the 21st
    shown = full_text(SIG, Template.parse(body).render(SAMPLE).text)
    assert shown.index("2折") == 19
    assert "benefit_late" in codes(lint(body))


def test_notifications_are_not_judged_on_benefit_or_link() -> None:
    assert lint("您的订单已发货，请注意查收", purpose="notification") == []


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        ("", "signature_missing"),
        ("  ", "signature_missing"),
        ("店", "signature_length"),
        ("店" * 13, "signature_length"),
    ],
)
def test_the_signature_must_be_present_and_2_to_12_characters(signature: str, code: str) -> None:
    assert codes(lint(EARLY_BODY, signature=signature)) == [code]


def test_signature_of_2_and_12_characters_is_fine() -> None:
    assert lint(EARLY_BODY, signature="某店") == []
    assert lint(EARLY_BODY, signature="店" * 12) == []


def test_the_signature_cannot_carry_its_own_brackets() -> None:
    assert "signature_brackets" in codes(lint(EARLY_BODY, signature="【某某店】"))


def test_the_body_cannot_contain_signature_brackets() -> None:
    assert "body_brackets" in codes(lint("【限时】" + EARLY_BODY))


@pytest.mark.parametrize("body", ["", "   \n"])
def test_an_empty_body_is_blocked(body: str) -> None:
    assert codes(lint(body)) == ["body_empty"]


def test_a_template_syntax_error_is_a_blocking_lint_with_the_errors_message() -> None:
    found = [x for x in lint("全场2折起 {nmae} 3.cn/abc 拒收请回复R") if x.code == "template_syntax"]
    assert len(found) == 1 and found[0].level == "block" and "nmae" in found[0].en


@pytest.mark.parametrize("between", ["", " ", "\u3000"])
def test_two_variables_side_by_side_are_blocked(between: str) -> None:
    body = f"全场2折起！{{name}}{between}{{coupon}}券，戳 {{link}} 拒收请回复R"
    assert "adjacent_variables" in codes(lint(body))


def test_variables_separated_by_text_are_fine() -> None:
    assert "adjacent_variables" not in codes(lint("全场2折起！{name}，{coupon}券，戳 {link} 拒收请回复R"))


@pytest.mark.parametrize("link", ["https://jd.com/x", "http://a.b.cn", "3.cn/1a2B", "u.jd.com/abc"])
def test_a_fixed_link_in_the_body_counts_as_a_link(link: str) -> None:
    assert "link_missing" not in codes(lint(f"全场2折起！戳 {link} 拒收请回复R"))


def test_a_marketing_message_without_link_is_warned() -> None:
    found = [x for x in lint("全场2折起！6.18开抢，拒收请回复R") if x.code == "link_missing"]
    assert len(found) == 1 and found[0].level == "warn"


def test_tencent_refuses_a_link_inside_a_variable() -> None:
    assert "link_in_variable" in codes(lint(EARLY_BODY, rules=TENCENT))
    assert "link_in_variable" not in codes(lint("全场2折起！戳 https://3.cn/x 拒收请回复R", rules=TENCENT))


def test_marketing_without_opt_out_is_blocked() -> None:
    found = [x for x in lint("全场2折起！戳 {link}") if x.code == "optout_missing"]
    assert len(found) == 1 and found[0].level == "block" and "拒收请回复R" in found[0].zh


@pytest.mark.parametrize("optout", ["拒收请回复R", "拒收请回复ｒ", "拒收请回复 R"])
def test_the_current_opt_out_in_any_width_or_case_is_accepted(optout: str) -> None:
    codes_found = codes(lint(f"全场2折起！戳 {{link}} {optout}"))
    assert "optout_missing" not in codes_found and "optout_outdated" not in codes_found


@pytest.mark.parametrize("optout", ["回T退订", "回Ｔ退订", "退订回td", "回N退订", "拒收回R"])
def test_an_older_opt_out_phrase_is_accepted_with_a_warning(optout: str) -> None:
    found = codes(lint(f"全场2折起！戳 {{link}} {optout}"))
    assert "optout_missing" not in found
    assert "optout_outdated" in found


def test_a_notification_must_not_carry_opt_out_text() -> None:
    assert codes(lint("您的订单已发货。拒收请回复R", purpose="notification")) == ["optout_in_notification"]
    assert codes(lint("您的订单已发货，回T退订", purpose="notification")) == ["optout_in_notification"]


def test_forbidden_words_are_blocked_each_with_the_word() -> None:
    found = [x for x in lint("全网最低价，销量第一！戳 {link} 拒收请回复R") if x.code == "forbidden_word"]
    assert [x.zh for x in found] == ["包含禁用词「最低价」", "包含禁用词「第一」"]
    assert all(x.level == "block" for x in found)


def test_ordinary_compounds_of_a_forbidden_word_are_allowed() -> None:
    assert "forbidden_word" not in codes(lint("618第一波2折起！戳 {link} 拒收请回复R"))


def test_a_forbidden_word_in_a_sample_value_is_found() -> None:
    body = "您买的{last_product}8折起，戳 {link} 拒收请回复R"
    found = lint(body, sample={**SAMPLE, "last_product": "顶级羽绒服"})
    assert [x.zh for x in found if x.code == "forbidden_word"] == ["包含禁用词「顶级」"]


def test_the_shops_own_list_replaces_the_default_and_ignores_case() -> None:
    assert "forbidden_word" not in codes(lint("全网最低价2折起 {link} 拒收请回复R", words=()))
    found = lint("VIP专享2折起 {link} 拒收请回复R", words=("vip",))
    assert [x.en for x in found if x.code == "forbidden_word"] == ["contains the forbidden word 「vip」"]


@pytest.mark.parametrize("word", ["最便宜", "国家级", "极品", "万能", "100%有效", "贷款", "套现", "发票", "博彩"])
def test_the_default_list_covers_absolute_terms_and_spam_terms(word: str) -> None:
    assert word in DEFAULT_FORBIDDEN_WORDS
    assert "forbidden_word" in codes(lint(f"2折起{word} {{link}} 拒收请回复R"))


def test_a_message_longer_than_500_characters_is_blocked() -> None:
    tail = "，戳 3.cn/x 拒收请回复R"
    filler = 500 - sms_length(full_text(SIG, "全场2折起" + tail))
    body = "全场2折起" + "字" * filler + tail
    assert sms_length(full_text(SIG, body)) == 500
    assert "too_long" not in codes(lint(body))
    assert "too_long" in codes(lint(body.replace("字", "字字", 1)))


def test_a_multi_part_message_is_warned_with_its_parts() -> None:
    body = "全场2折起" + "字" * 60 + "，戳 3.cn/x 拒收请回复R"
    found = [x for x in lint(body) if x.code == "multi_part"]
    assert len(found) == 1 and found[0].level == "warn"
    assert "2 条" in found[0].zh and "billed as 2" in found[0].en


def test_length_counts_the_rendered_sample_values() -> None:
    body = "全场2折起！您上次买的{last_product}补货到了，戳 3.cn/x 拒收请回复R"
    short, long = {"last_product": "羽绒服"}, {"last_product": "字" * 35}
    assert sms_length(full_text(SIG, Template.parse(body).render(short).text)) == 41
    assert sms_length(full_text(SIG, Template.parse(body).render(long).text)) == 73
    assert "multi_part" not in codes(lint(body, sample=short))
    assert "multi_part" in codes(lint(body, sample=long))


def test_a_sample_without_a_value_or_fallback_is_warned() -> None:
    assert "variable_missing" in codes(lint(EARLY_BODY, sample={"link": "3.cn/x"}))
    assert "variable_missing" not in codes(lint(EARLY_BODY.replace("{name}", "{name|亲}"), sample={"link": "3.cn/x"}))


def test_a_sample_value_too_long_for_the_provider_is_blocked() -> None:
    body = "全场2折起！{last_product}到货，戳 3.cn/x 拒收请回复R"
    assert "variable_too_long" in codes(lint(body, sample={"last_product": "字" * 36}))
    assert "variable_too_long" not in codes(lint(body, sample={"last_product": "字" * 36}, rules=TENCENT))


def test_blocking_lints_come_first() -> None:
    result = lint("亲爱的{name}{last_product}", signature="")
    levels = [x.level for x in result]
    assert levels == sorted(levels, key=lambda level: level != "block")
    assert {"signature_missing", "adjacent_variables", "optout_missing"} <= set(codes(blocking(result)))
    assert {"link_missing", "benefit_late"} <= {x.code for x in result if x.level == "warn"}


def test_every_lint_has_both_languages() -> None:
    result = lint("【x】{name}{coupon}全网最低价" + "字" * 500, signature="")
    assert len({x.code for x in result}) >= 6
    assert all(x.zh and x.en and x.level in ("block", "warn") for x in result)


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        lint(EARLY_BODY, purpose="spam")
    assert caught.value.code == "sms_unknown_purpose"


def test_generic_rules_are_the_default() -> None:
    assert domain.GENERIC is PROVIDERS["generic"] is GENERIC


# ---- replies -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "opt_out"),
    [
        ("T", True),
        ("t", True),
        ("Ｔ", True),
        (" TD ", True),
        ("td。", True),
        ("R", True),
        ("r", True),
        ("Ｒ", True),
        ("N", True),
        ("0000", True),
        ("００００", True),
        ("退订", True),
        ("我要退订，谢谢", True),
        ("拒收", True),
        ("取消订阅", True),
        ("不要再发了！", True),
        ("TDK", False),
        ("TRUE", False),
        ("R2", False),
        ("000", False),
        ("好的", False),
        ("", False),
        ("。。。", False),
        ("收到T", False),
    ],
)
def test_opt_out_replies(reply: str, opt_out: bool) -> None:
    assert is_opt_out_reply(reply) is opt_out


def test_the_shops_extra_words_count_too() -> None:
    assert is_opt_out_reply("别烦我", extra_words=("别烦",))
    assert is_opt_out_reply("stop", extra_words=("STOP",))
    assert not is_opt_out_reply("STOPPED", extra_words=("STOP",))
    assert not is_opt_out_reply("好的", extra_words=("", "  "))
