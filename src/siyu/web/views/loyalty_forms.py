"""Reading the console's membership and coupon forms: programme settings, the tier ladder and coupon
templates. Each reader returns the model (or ``None``) and the fields in error, each with the i18n key of
the rule it breaks, so a page can re-render the form exactly as typed with the rule beside the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from siyu.core.money import parse_yuan
from siyu.loyalty.domain import DEFAULT_TIERS, INTERACTIONS, ProgramSettings
from siyu.loyalty.services import TierSpec
from siyu.promotions.schemas import CouponTemplateSpec

# interactions set in the table (check-in has its own fields: points, growth, streak bonus)
TABLE_INTERACTIONS = tuple(k for k in INTERACTIONS if k != "checkin")
MAX_TIERS = 10

PROGRAM_RULES: dict[str, str] = {
    "points_per_yuan": "Points per yuan: a whole number from 0 to 1,000.",
    "growth_per_yuan": "Growth per yuan: a whole number from 0 to 1,000.",
    "expiry_days": "Expiry: whole days from 0 (never) to 3,650.",
    "expiring_notice_days": "Notice: whole days from 1 to 365.",
    "member_day": "Member day: a day of the month from 1 to 28, or empty for none.",
    "member_day_multiplier": "Member-day multiplier: from 1× to 10×, e.g. 2 or 1.5.",
    "join_gift_points": "Gift points: a whole number from 0 to 1,000,000.",
    "join_gift_coupon_template_id": "Choose one of your coupon templates.",
    "birthday_gift_points": "Gift points: a whole number from 0 to 1,000,000.",
    "birthday_gift_coupon_template_id": "Choose one of your coupon templates.",
    "tier_basis": "Choose spend or growth value.",
    "tier_window_days": "Spend window: whole days from 30 to 3,650.",
    "downgrade": "Choose a downgrade rule.",
    "checkin_points": "Check-in points: a whole number from 0 to 100,000.",
    "checkin_growth": "Check-in growth: a whole number from 0 to 100,000.",
    "streak_bonus": "Streak bonus: day:points pairs such as 3:5, 7:20 (days 1–366, points 0 or more).",
    "interactions": "Interaction rules: whole numbers; points and growth up to 100,000, a day up to 1,000.",
}
_PLAIN_INTS = (
    "points_per_yuan",
    "growth_per_yuan",
    "expiry_days",
    "expiring_notice_days",
    "join_gift_points",
    "birthday_gift_points",
    "tier_window_days",
)


def _whole(text: str) -> int:
    text = text.strip().replace(",", "")
    if not text.lstrip("-").isdigit():
        raise ValueError(text)
    return int(text)


def _times_pct(text: str) -> int:
    """'2' or '1.5' (×) -> 200 or 150 (percent)."""
    try:
        value = Decimal(text.strip().replace("×", "").replace("x", "").replace("倍", "") or "x")
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    pct = value * 100
    if not pct.is_finite() or pct != pct.to_integral_value():
        raise ValueError(text)
    return int(pct)


def times(pct: int) -> str:
    """150 -> '1.5' (how a multiplier is typed)."""
    return f"{Decimal(pct) / 100:f}".rstrip("0").rstrip(".")


def _streaks(text: str) -> dict[int, int]:
    pairs: dict[int, int] = {}
    for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if not part.strip():
            continue
        day, sep, bonus = part.replace("：", ":").partition(":")
        if not sep:
            raise ValueError(part)
        pairs[_whole(day)] = _whole(bonus)
    return pairs


def program_form(settings: ProgramSettings) -> dict[str, str]:
    """The programme as its form shows it (multipliers as ×, empty for no member day or coupon)."""
    form = {name: str(getattr(settings, name)) for name in _PLAIN_INTS}
    form.update(
        {
            "member_day": "" if settings.member_day is None else str(settings.member_day),
            "member_day_multiplier": times(settings.member_day_multiplier_pct),
            "join_gift_coupon_template_id": str(settings.join_gift_coupon_template_id or ""),
            "birthday_gift_coupon_template_id": str(settings.birthday_gift_coupon_template_id or ""),
            "tier_basis": settings.tier_basis,
            "downgrade": settings.downgrade,
            "checkin_points": str(settings.checkin.points),
            "checkin_growth": str(settings.checkin.growth),
            "streak_bonus": ", ".join(f"{d}:{b}" for d, b in settings.checkin.streak_bonus.items()),
        }
    )
    for kind in TABLE_INTERACTIONS:
        rule = settings.interaction(kind)
        form[f"ix_{kind}_points"] = str(rule.points)
        form[f"ix_{kind}_daily"] = str(rule.daily_limit)
        form[f"ix_{kind}_lifetime"] = str(rule.lifetime_limit)
        form[f"ix_{kind}_growth"] = str(rule.growth)
    return form


def _error_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "interactions"
    if parts[0] == "checkin":
        return "streak_bonus" if len(parts) > 1 and parts[1] == "streak_bonus" else f"checkin_{parts[-1]}"
    if parts[0] == "member_day_multiplier_pct":
        return "member_day_multiplier"
    return parts[0] if parts[0] in PROGRAM_RULES else "interactions"


def parse_program(form: dict[str, str], coupon_ids: set[int]) -> tuple[ProgramSettings | None, dict[str, str]]:
    """The programme from its form; ``coupon_ids`` are the shop's coupon templates a gift may name."""
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}

    def read(name: str, reader: Any) -> Any:
        try:
            return reader(form.get(name, ""))
        except ValueError:
            errors[name] = PROGRAM_RULES[name]
            return None

    for name in _PLAIN_INTS:
        raw[name] = read(name, _whole)
    day = form.get("member_day", "").strip()
    raw["member_day"] = read("member_day", _whole) if day else None
    raw["member_day_multiplier_pct"] = read("member_day_multiplier", _times_pct)
    for name in ("join_gift_coupon_template_id", "birthday_gift_coupon_template_id"):
        value = form.get(name, "").strip()
        if not value:
            raw[name] = None
        elif value.isdigit() and int(value) in coupon_ids:
            raw[name] = int(value)
        else:
            errors[name] = PROGRAM_RULES[name]
    for name, allowed in (("tier_basis", ("spend", "growth")), ("downgrade", ("none", "one_level", "to_fitting"))):
        value = form.get(name, "")
        if value in allowed:
            raw[name] = value
        else:
            errors[name] = PROGRAM_RULES[name]
    raw["checkin"] = {
        "points": read("checkin_points", _whole),
        "growth": read("checkin_growth", _whole),
        "streak_bonus": read("streak_bonus", _streaks),
    }
    interactions: dict[str, dict[str, int]] = {}
    for kind in TABLE_INTERACTIONS:
        try:
            interactions[kind] = {
                "points": _whole(form.get(f"ix_{kind}_points", "")),
                "daily_limit": _whole(form.get(f"ix_{kind}_daily", "")),
                "lifetime_limit": _whole(form.get(f"ix_{kind}_lifetime", "")),
                "growth": _whole(form.get(f"ix_{kind}_growth", "")),
            }
        except ValueError:
            errors["interactions"] = PROGRAM_RULES["interactions"]
            errors[f"ix_{kind}"] = PROGRAM_RULES["interactions"]
    raw["interactions"] = interactions
    # what could not be read is left to its default, so the model still reports every other broken rule
    unread = {"member_day_multiplier": "member_day_multiplier_pct"}
    for name in list(errors):
        raw.pop(unread.get(name, name), None)
    raw["checkin"] = {k: v for k, v in raw["checkin"].items() if v is not None}
    try:
        settings = ProgramSettings.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            field = _error_field(loc)
            errors.setdefault(field, PROGRAM_RULES[field])
            if field == "interactions" and len(loc) > 1:
                errors.setdefault(f"ix_{loc[1]}", PROGRAM_RULES[field])
        return None, errors
    return (None, errors) if errors else (settings, {})


# ---- the tier ladder ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TierProblem:
    """A row that could not be read: the 1-based row and the i18n key of the rule."""

    row: int
    rule: str


TIER_RULES = {
    "threshold_spend": "Tier {row}: the threshold is an amount in yuan (0 or more, at most 2 decimals).",
    "threshold_growth": "Tier {row}: the threshold is a whole growth value (0 or more).",
    "multiplier": "Tier {row}: the points multiplier is from 1× to 10×, e.g. 1.5.",
    "gift": "Tier {row}: upgrade gift points are a whole number (0 or more).",
}


@dataclass(frozen=True, slots=True)
class DefaultTier:
    """A rung of the ladder a programme starts with, before the shop saves its own."""

    name: str
    threshold: int
    points_multiplier_pct: int
    privileges: tuple[str, ...]
    upgrade_gift_points: int = 0


def default_tiers() -> list[DefaultTier]:
    return [DefaultTier(name, threshold, pct, privileges) for name, _en, threshold, pct, privileges in DEFAULT_TIERS]


def tier_rows(tiers: list[Any], basis: str, *, blank: int = 2) -> list[dict[str, str]]:
    """The ladder as editable rows (threshold in yuan for spend, growth value otherwise) plus blank rows."""
    rows = [
        {
            "name": t.name,
            "threshold": (f"{Decimal(t.threshold) / 100:f}" if basis == "spend" else str(t.threshold)),
            "multiplier": times(t.points_multiplier_pct),
            "privileges": ", ".join(t.privileges),
            "gift": str(t.upgrade_gift_points),
        }
        for t in tiers
    ]
    for row in rows:
        if row["threshold"].endswith(".00"):
            row["threshold"] = row["threshold"][:-3]
    free = max(0, min(blank, MAX_TIERS - len(rows)))
    rows += [{"name": "", "threshold": "", "multiplier": "1", "privileges": "", "gift": "0"} for _ in range(free)]
    return rows


def read_tier_rows(form: dict[str, str]) -> list[dict[str, str]]:
    count = _whole(form.get("tier_rows", "0") or "0") if form.get("tier_rows", "").isdigit() else 0
    keys = ("name", "threshold", "multiplier", "privileges", "gift")
    return [{k: form.get(f"tier_{k}_{i}", "") for k in keys} for i in range(min(count, MAX_TIERS + 5))]


def parse_tiers(rows: list[dict[str, str]], basis: str) -> tuple[list[TierSpec], TierProblem | None]:
    """The ladder from its rows (rows without a name are left out)."""
    specs: list[TierSpec] = []
    for number, row in enumerate(rows, start=1):
        if not row["name"].strip() and not row["threshold"].strip():
            continue
        try:
            threshold = parse_yuan(row["threshold"] or "0") if basis == "spend" else _whole(row["threshold"] or "0")
            if threshold < 0:
                raise ValueError(row["threshold"])
        except ValueError:
            return [], TierProblem(number, TIER_RULES[f"threshold_{basis}"])
        try:
            pct = _times_pct(row["multiplier"] or "1")
        except ValueError:
            return [], TierProblem(number, TIER_RULES["multiplier"])
        try:
            gift = _whole(row["gift"] or "0")
        except ValueError:
            return [], TierProblem(number, TIER_RULES["gift"])
        privileges = tuple(
            p.strip()[:40] for p in row["privileges"].replace("，", ",").replace("、", ",").split(",") if p.strip()
        )
        specs.append(TierSpec(row["name"], threshold, pct, privileges[:20], gift))
    return specs, None


# ---- coupon templates ---------------------------------------------------------------------------------
COUPON_RULES: dict[str, str] = {
    "name": "Name: 1 to 100 characters.",
    "threshold": "Amounts are in yuan, with at most 2 decimals.",
    "reduction": "Amounts are in yuan, with at most 2 decimals.",
    "max_discount": "Amounts are in yuan, with at most 2 decimals.",
    "discount_pct": "Discount: the percent paid, a whole number from 1 to 99 (85 = 8.5折).",
    "claim_start": "Pick a date and time.",
    "claim_end": "Pick a date and time.",
    "use_start": "Pick a date and time.",
    "use_end": "Pick a date and time.",
    "use_days": "Days after claiming: a whole number.",
    "total_stock": "Stock: a whole number.",
    "per_customer_limit": "Per-customer limit: a whole number.",
    "fission_friends": "Friends needed: a whole number.",
}
COUPON_FIELDS = (
    "name",
    "kind",
    "threshold",
    "reduction",
    "discount_pct",
    "max_discount",
    "scope",
    "scope_items",
    "claim_start",
    "claim_end",
    "use_mode",
    "use_start",
    "use_end",
    "use_days",
    "total_stock",
    "per_customer_limit",
    "channel",
    "fission_friends",
)
# the form field that shows an error the domain reports on a spec field
SPEC_TO_FORM = {
    "threshold_fen": "threshold",
    "reduction_fen": "reduction",
    "max_discount_fen": "max_discount",
}


def coupon_form_defaults(now_local: datetime) -> dict[str, str]:
    start = now_local.replace(second=0, microsecond=0)
    return {
        "name": "",
        "kind": "full_reduction",
        "threshold": "",
        "reduction": "",
        "discount_pct": "",
        "max_discount": "",
        "scope": "shop",
        "scope_items": "",
        "claim_start": start.strftime("%Y-%m-%dT%H:%M"),
        "claim_end": (start + timedelta(days=7)).replace(hour=23, minute=59).strftime("%Y-%m-%dT%H:%M"),
        "use_mode": "days",
        "use_start": "",
        "use_end": "",
        "use_days": "30",
        "total_stock": "1000",
        "per_customer_limit": "1",
        "channel": "any",
        "fission_friends": "3",
    }


def _local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)


def parse_coupon(form: dict[str, str], zone: ZoneInfo) -> tuple[CouponTemplateSpec | None, dict[str, str]]:
    """A coupon template from its form: amounts in yuan, times in the shop's zone; only the fields the
    chosen kind, scope, use window and channel need are read."""
    errors: dict[str, str] = {}
    kind = form.get("kind", "")
    values: dict[str, Any] = {"name": form.get("name", "").strip(), "kind": kind}

    def read(name: str, reader: Any, default: Any = None) -> Any:
        text = form.get(name, "").strip()
        if not text:
            return default
        try:
            return reader(text)
        except ValueError:
            errors[name] = COUPON_RULES[name]
            return default

    if kind in ("full_reduction", "discount"):
        values["threshold_fen"] = read("threshold", parse_yuan, 0)
    if kind in ("full_reduction", "no_threshold"):
        values["reduction_fen"] = read("reduction", parse_yuan, 0)
    if kind == "discount":
        values["discount_pct"] = read("discount_pct", _whole, None)
        values["max_discount_fen"] = read("max_discount", parse_yuan, None)
        if values["discount_pct"] is None and "discount_pct" not in errors:
            errors["discount_pct"] = COUPON_RULES["discount_pct"]
    scope = form.get("scope", "shop")
    values["scope"] = scope
    if scope != "shop":
        text = form.get("scope_items", "").replace("，", ",").replace("\r", "\n").replace("\n", ",")
        values["scope_items"] = [item.strip() for item in text.split(",") if item.strip()][:1000]
    for name in ("claim_start", "claim_end"):
        values[name] = read(name, lambda t: _local(t, zone))
        if values[name] is None:
            errors.setdefault(name, COUPON_RULES[name])
    if form.get("use_mode") == "fixed":
        values["use_start"] = read("use_start", lambda t: _local(t, zone))
        values["use_end"] = read("use_end", lambda t: _local(t, zone))
        if values["use_end"] is None:
            errors.setdefault("use_end", COUPON_RULES["use_end"])
    else:
        values["use_days"] = read("use_days", _whole)
        if values["use_days"] is None:
            errors.setdefault("use_days", COUPON_RULES["use_days"])
    for name in ("total_stock", "per_customer_limit"):
        values[name] = read(name, _whole)
        if values[name] is None:
            errors.setdefault(name, COUPON_RULES[name])
    channel = form.get("channel", "any")
    values["channel"] = channel
    if channel == "fission":
        values["fission_friends"] = read("fission_friends", _whole)
    if not values["name"] or len(values["name"]) > 100:
        errors["name"] = COUPON_RULES["name"]
    if errors:
        return None, errors
    try:
        return CouponTemplateSpec.model_validate(values), {}
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ())]
            field = SPEC_TO_FORM.get(loc[0], loc[0]) if loc else "name"
            errors.setdefault(field, COUPON_RULES.get(field, "Check this field."))
        return None, errors
