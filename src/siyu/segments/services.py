"""Use cases of the segments area: settings, saved audiences, snapshots and set operations, tags.

Membership work is set-based: audience members come from the segment engine in one query, set
operations and tag assignment are single INSERT … SELECT statements in the operational database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from siyu.audit.services import record
from siyu.core.errors import InvalidInput, NotFound
from siyu.customers.models import Customer
from siyu.db import DriverSQL, utcnow
from siyu.segments import audiences
from siyu.segments.conditions import dump_definition, parse_definition
from siyu.segments.domain import RfmSettings, StageSettings
from siyu.segments.engine import bump_data_version
from siyu.segments.errors import AudienceNameTaken, TagNameTaken
from siyu.segments.models import Audience, AudienceMember, AudienceSnapshot, CustomerTag, SegmentSettings, Tag
from siyu.shops.services import Principal

BATCH_SIZE = 30_000  # one send group stays under 30,000 customers [S]
SetOperation = Literal["union", "intersect", "subtract"]
_SQL_SET = {"union": "UNION", "intersect": "INTERSECT", "subtract": "EXCEPT"}


# ---- settings -------------------------------------------------------------------------------------------
def save_settings(session: Session, *, by: Principal, rfm: RfmSettings, stages: StageSettings) -> SegmentSettings:
    row = session.get(SegmentSettings, by.shop_id)
    before = None if row is None else {"rfm": row.rfm, "stages": row.stages}
    if row is None:
        row = SegmentSettings(shop_id=by.shop_id)
        session.add(row)
    row.rfm, row.stages, row.updated_at = rfm.model_dump(), stages.model_dump(), utcnow()
    record(
        session,
        by.actor,
        "segments.settings",
        "shop",
        by.shop_id,
        before=before,
        after={"rfm": row.rfm, "stages": row.stages},
    )
    return row


# ---- audiences ------------------------------------------------------------------------------------------
def get_audience(session: Session, *, shop_id: int, audience_id: int) -> Audience:
    audience = session.get(Audience, audience_id)
    if audience is None or audience.shop_id != shop_id:
        raise NotFound("人群", "audience")
    return audience


def list_audiences(session: Session, *, shop_id: int) -> list[Audience]:
    return list(session.scalars(select(Audience).where(Audience.shop_id == shop_id).order_by(Audience.id.desc())))


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("名称必填，最多 100 个字", "a name of 1–100 characters is required")
    return name


def create_audience(
    session: Session, *, by: Principal, name: str, definition: dict[str, Any], as_of: datetime | None = None
) -> Audience:
    """Save an audience definition (validated) with its current size."""
    name = _clean_name(name)
    node = parse_definition(definition)
    if session.scalar(select(Audience.id).where(Audience.shop_id == by.shop_id, Audience.name == name)):
        raise AudienceNameTaken(name)
    count = audiences.count_audience(session, shop_id=by.shop_id, definition=node, as_of=as_of)
    audience = Audience(
        shop_id=by.shop_id,
        name=name,
        definition=dump_definition(node),
        last_count=count,
        refreshed_at=utcnow(),
        created_by=by.actor.label,
        created_at=utcnow(),
    )
    session.add(audience)
    session.flush()
    record(
        session,
        by.actor,
        "audience.create",
        "audience",
        audience.id,
        after={"name": name, "definition": audience.definition, "count": count},
    )
    return audience


def update_audience(
    session: Session,
    *,
    by: Principal,
    audience_id: int,
    name: str | None = None,
    definition: dict[str, Any] | None = None,
) -> Audience:
    audience = get_audience(session, shop_id=by.shop_id, audience_id=audience_id)
    before = {"name": audience.name, "definition": audience.definition}
    if name is not None:
        name = _clean_name(name)
        clash = session.scalar(
            select(Audience.id).where(Audience.shop_id == by.shop_id, Audience.name == name, Audience.id != audience.id)
        )
        if clash:
            raise AudienceNameTaken(name)
        audience.name = name
    if definition is not None:
        node = parse_definition(definition)
        audience.definition = dump_definition(node)
        audience.last_count = audiences.count_audience(session, shop_id=by.shop_id, definition=node)
        audience.refreshed_at = utcnow()
    record(
        session,
        by.actor,
        "audience.update",
        "audience",
        audience.id,
        before=before,
        after={"name": audience.name, "definition": audience.definition},
    )
    return audience


def refresh_audience(session: Session, *, by: Principal, audience_id: int, as_of: datetime | None = None) -> Audience:
    audience = get_audience(session, shop_id=by.shop_id, audience_id=audience_id)
    before = audience.last_count
    audience.last_count = audiences.count_audience(
        session, shop_id=by.shop_id, definition=audience.definition, as_of=as_of
    )
    audience.refreshed_at = utcnow()
    record(
        session,
        by.actor,
        "audience.refresh",
        "audience",
        audience.id,
        before={"count": before},
        after={"count": audience.last_count},
    )
    return audience


def delete_audience(session: Session, *, by: Principal, audience_id: int) -> None:
    audience = get_audience(session, shop_id=by.shop_id, audience_id=audience_id)
    record(
        session,
        by.actor,
        "audience.delete",
        "audience",
        audience.id,
        before={"name": audience.name, "definition": audience.definition},
    )
    session.delete(audience)


def _store_members(session: Session, shop_id: int, snapshot: AudienceSnapshot, ids: list[int]) -> None:
    DriverSQL(session).insert(
        "audience_members", ("snapshot_id", "customer_id", "shop_id"), [(snapshot.id, cid, shop_id) for cid in ids]
    )
    snapshot.member_count = len(ids)


def freeze_audience(
    session: Session, *, by: Principal, audience_id: int, name: str | None = None, as_of: datetime | None = None
) -> AudienceSnapshot:
    """Freeze who is in the audience now; the snapshot never changes afterwards."""
    audience = get_audience(session, shop_id=by.shop_id, audience_id=audience_id)
    ids = audiences.audience_members(session, shop_id=by.shop_id, definition=audience.definition, as_of=as_of)
    now = utcnow()
    snapshot = AudienceSnapshot(
        shop_id=by.shop_id,
        audience_id=audience.id,
        name=_clean_name(name or f"{audience.name} @ {now:%Y-%m-%d %H:%M}"),
        origin={"audience": audience.id, "definition": audience.definition},
        frozen_at=now,
        created_by=by.actor.label,
    )
    session.add(snapshot)
    session.flush()
    _store_members(session, by.shop_id, snapshot, ids)
    audience.last_count, audience.refreshed_at = len(ids), now
    record(
        session,
        by.actor,
        "audience.freeze",
        "audience_snapshot",
        snapshot.id,
        after={"audience": audience.id, "members": len(ids)},
    )
    return snapshot


def get_snapshot(session: Session, *, shop_id: int, snapshot_id: int) -> AudienceSnapshot:
    snapshot = session.get(AudienceSnapshot, snapshot_id)
    if snapshot is None or snapshot.shop_id != shop_id:
        raise NotFound("人群快照", "audience snapshot")
    return snapshot


def list_snapshots(session: Session, *, shop_id: int) -> list[AudienceSnapshot]:
    return list(
        session.scalars(
            select(AudienceSnapshot).where(AudienceSnapshot.shop_id == shop_id).order_by(AudienceSnapshot.id.desc())
        )
    )


def combine(
    session: Session, *, by: Principal, op: SetOperation, left: dict[str, int], right: dict[str, int], name: str
) -> AudienceSnapshot:
    """Union, intersection or difference of two audiences or snapshots, frozen as a new snapshot.

    ``left``/``right`` are ``{"audience": id}`` (evaluated now) or ``{"snapshot": id}``.
    """
    if op not in _SQL_SET:
        raise InvalidInput("集合运算只能是 union / intersect / subtract", "op must be union, intersect or subtract")
    left_id, right_id = _as_snapshot(session, by, left), _as_snapshot(session, by, right)
    snapshot = AudienceSnapshot(
        shop_id=by.shop_id,
        name=_clean_name(name),
        origin={"op": op, "left": left, "right": right},
        frozen_at=utcnow(),
        created_by=by.actor.label,
    )
    session.add(snapshot)
    session.flush()
    session.execute(
        text(
            f"INSERT INTO audience_members (snapshot_id, customer_id, shop_id) "
            f"SELECT :new, customer_id, :shop FROM (SELECT customer_id FROM audience_members WHERE snapshot_id = :l "
            f"{_SQL_SET[op]} SELECT customer_id FROM audience_members WHERE snapshot_id = :r) AS combined"
        ),
        {"new": snapshot.id, "shop": by.shop_id, "l": left_id, "r": right_id},
    )
    snapshot.member_count = int(
        session.scalar(
            select(func.count()).select_from(AudienceMember).where(AudienceMember.snapshot_id == snapshot.id)
        )
        or 0
    )
    record(
        session,
        by.actor,
        "audience.combine",
        "audience_snapshot",
        snapshot.id,
        after={"op": op, "left": left, "right": right, "members": snapshot.member_count},
    )
    return snapshot


def _as_snapshot(session: Session, by: Principal, ref: dict[str, int]) -> int:
    if set(ref) == {"snapshot"}:
        return get_snapshot(session, shop_id=by.shop_id, snapshot_id=int(ref["snapshot"])).id
    if set(ref) == {"audience"}:
        return freeze_audience(session, by=by, audience_id=int(ref["audience"])).id
    raise InvalidInput(
        '引用应为 {"audience": id} 或 {"snapshot": id}', 'a reference is {"audience": id} or {"snapshot": id}'
    )


def snapshot_batches(session: Session, *, shop_id: int, snapshot_id: int, size: int = BATCH_SIZE) -> list[int]:
    """Sizes of the send batches (each ≤ ``size``, in customer order) of a snapshot."""
    snapshot = get_snapshot(session, shop_id=shop_id, snapshot_id=snapshot_id)
    full, rest = divmod(snapshot.member_count, size)
    return [size] * full + ([rest] if rest else [])


def batch_member_ids(
    session: Session, *, shop_id: int, snapshot_id: int, batch: int, size: int = BATCH_SIZE
) -> list[int]:
    """Customer ids of one batch (1-based)."""
    get_snapshot(session, shop_id=shop_id, snapshot_id=snapshot_id)
    return list(
        session.scalars(
            select(AudienceMember.customer_id)
            .where(AudienceMember.snapshot_id == snapshot_id)
            .order_by(AudienceMember.customer_id)
            .offset((batch - 1) * size)
            .limit(size)
        )
    )


# ---- tags -----------------------------------------------------------------------------------------------
def get_tag(session: Session, *, shop_id: int, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None or tag.shop_id != shop_id:
        raise NotFound("标签", "tag")
    return tag


def list_tags(session: Session, *, shop_id: int) -> list[Tag]:
    return list(session.scalars(select(Tag).where(Tag.shop_id == shop_id).order_by(Tag.dimension, Tag.name)))


def create_tag(
    session: Session, *, by: Principal, name: str, dimension: str = "", rule: dict[str, Any] | None = None
) -> Tag:
    """A manual tag, or a rule tag (an audience definition, recomputed on refresh)."""
    name = name.strip()
    if not name or len(name) > 60:
        raise InvalidInput("标签名必填，最多 60 个字", "a tag name of 1–60 characters is required")
    if session.scalar(select(Tag.id).where(Tag.shop_id == by.shop_id, Tag.name == name)):
        raise TagNameTaken(name)
    stored_rule = dump_definition(parse_definition(rule)) if rule is not None else None
    tag = Tag(
        shop_id=by.shop_id,
        name=name,
        kind="rule" if rule is not None else "manual",
        dimension=dimension.strip()[:40],
        rule=stored_rule,
        created_at=utcnow(),
    )
    session.add(tag)
    session.flush()
    record(session, by.actor, "tag.create", "tag", tag.id, after={"name": name, "kind": tag.kind, "rule": stored_rule})
    return tag


def _count_members(session: Session, tag: Tag) -> None:
    tag.member_count = int(
        session.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.tag_id == tag.id)) or 0
    )


def _manual(session: Session, by: Principal, tag_id: int) -> Tag:
    tag = get_tag(session, shop_id=by.shop_id, tag_id=tag_id)
    if tag.kind != "manual":
        raise InvalidInput(
            "规则标签由规则计算，不能手动打标", "a rule tag is computed by its rule; tag manually with a manual tag"
        )
    return tag


def tag_customers(session: Session, *, by: Principal, tag_id: int, customer_ids: list[int]) -> int:
    """Tag customers of the shop by id; ids of other shops are ignored. Returns how many were added."""
    tag = _manual(session, by, tag_id)
    wanted = sorted(set(customer_ids))
    own = list(session.scalars(select(Customer.id).where(Customer.shop_id == by.shop_id, Customer.id.in_(wanted))))
    added = DriverSQL(session).insert_ignore(
        "customer_tags",
        ("shop_id", "tag_id", "customer_id", "created_at"),
        [(by.shop_id, tag.id, cid, DriverSQL(session).time_value(utcnow())) for cid in own],
    )
    return _after_tagging(session, by, tag, added, {"customers": len(own)})


def tag_accounts(session: Session, *, by: Principal, tag_id: int, accounts: list[str]) -> tuple[int, list[str]]:
    """Bulk tagging from an uploaded list of JD accounts; returns (added, accounts not found)."""
    names = sorted({a.strip() for a in accounts if a.strip()})
    found: dict[str, int] = {}
    for start in range(0, len(names), 5_000):
        part = names[start : start + 5_000]
        rows = session.execute(
            select(Customer.account, Customer.id).where(Customer.shop_id == by.shop_id, Customer.account.in_(part))
        )
        found.update({account: cid for account, cid in rows})
    added = tag_customers(session, by=by, tag_id=tag_id, customer_ids=list(found.values())) if found else 0
    return added, [a for a in names if a not in found]


def tag_snapshot(session: Session, *, by: Principal, tag_id: int, snapshot_id: int) -> int:
    """Tag everyone in an audience snapshot (set-based)."""
    tag = _manual(session, by, tag_id)
    get_snapshot(session, shop_id=by.shop_id, snapshot_id=snapshot_id)
    before = int(session.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.tag_id == tag.id)) or 0)
    session.execute(
        text(
            "INSERT INTO customer_tags (shop_id, tag_id, customer_id, created_at) "
            "SELECT :shop, :tag, m.customer_id, :now FROM audience_members m WHERE m.snapshot_id = :snap "
            "AND NOT EXISTS (SELECT 1 FROM customer_tags t WHERE t.tag_id = :tag AND t.customer_id = m.customer_id)"
        ),
        {"shop": by.shop_id, "tag": tag.id, "now": DriverSQL(session).time_value(utcnow()), "snap": snapshot_id},
    )
    _count_members(session, tag)
    return _after_tagging(session, by, tag, tag.member_count - before, {"snapshot": snapshot_id})


def untag_customers(session: Session, *, by: Principal, tag_id: int, customer_ids: list[int]) -> int:
    tag = _manual(session, by, tag_id)
    before = int(session.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.tag_id == tag.id)) or 0)
    session.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id, CustomerTag.customer_id.in_(customer_ids)))
    _count_members(session, tag)
    return _after_tagging(session, by, tag, tag.member_count - before, {"removed": customer_ids[:100]})


def _after_tagging(session: Session, by: Principal, tag: Tag, change: int, detail: dict[str, Any]) -> int:
    _count_members(session, tag)
    if change:
        bump_data_version(session, by.shop_id)
    record(
        session, by.actor, "tag.assign", "tag", tag.id, after={**detail, "change": change, "members": tag.member_count}
    )
    return abs(change)


def refresh_rule_tag(
    session: Session, *, by: Principal, tag_id: int, as_of: datetime | None = None, bump: bool = True
) -> Tag:
    """Recompute a rule tag's members from its rule (on demand, and nightly by `siyu tags refresh`)."""
    tag = get_tag(session, shop_id=by.shop_id, tag_id=tag_id)
    if tag.kind != "rule" or tag.rule is None:
        raise InvalidInput("只有规则标签可以重新计算", "only rule tags are recomputed")
    ids = audiences.audience_members(session, shop_id=by.shop_id, definition=tag.rule, as_of=as_of)
    before = tag.member_count
    session.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id))
    sql = DriverSQL(session)
    now = sql.time_value(utcnow())
    sql.insert(
        "customer_tags",
        ("shop_id", "tag_id", "customer_id", "created_at"),
        [(by.shop_id, tag.id, cid, now) for cid in ids],
    )
    tag.member_count, tag.refreshed_at = len(ids), utcnow()
    if bump:
        bump_data_version(session, by.shop_id)
    record(session, by.actor, "tag.refresh", "tag", tag.id, before={"members": before}, after={"members": len(ids)})
    return tag


def refresh_rule_tags(session: Session, *, by: Principal, as_of: datetime | None = None) -> list[Tag]:
    """Every rule tag of the shop, in name order (rules that read other tags see the earlier results
    only after the next refresh)."""
    tags = [t for t in list_tags(session, shop_id=by.shop_id) if t.kind == "rule"]
    refreshed = [refresh_rule_tag(session, by=by, tag_id=t.id, as_of=as_of, bump=False) for t in tags]
    if refreshed:
        bump_data_version(session, by.shop_id)  # once: every rule read the same state
    return refreshed


# The tag dimensions of the private-domain plan [P]: importance, product type, spending power, purchase
# frequency, fan source and time. Installed as ready-made rule tags.
STANDARD_TAGS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "重要客户",
        "importance",
        {"field": "rfm_segment", "values": ["champions", "at_risk_valuable", "promising", "win_back"]},
    ),
    (
        "一般客户",
        "importance",
        {"field": "rfm_segment", "values": ["loyal_small_basket", "needs_growth", "at_risk", "low_value"]},
    ),
    ("高消费力", "spending", {"field": "monetary_level", "values": ["high"]}),
    ("中消费力", "spending", {"field": "monetary_level", "values": ["medium"]}),
    ("低消费力", "spending", {"field": "monetary_level", "values": ["low"]}),
    ("高频购买", "frequency", {"field": "orders", "op": ">=", "value": 5, "days": 365}),
    (
        "低频购买",
        "frequency",
        {
            "all": [
                {"field": "orders", "op": ">=", "value": 1, "days": 365},
                {"field": "orders", "op": "<=", "value": 2, "days": 365},
            ]
        },
    ),
    ("包裹卡粉丝", "fan_source", {"field": "source_channel", "values": ["parcel_card"]}),
    ("公众号粉丝", "fan_source", {"field": "source_channel", "values": ["official_account"]}),
    ("裂变粉丝", "fan_source", {"field": "source_channel", "values": ["fission"]}),
    (
        "近30天新客",
        "time",
        {"all": [{"field": "customer_since", "days": 30}, {"field": "orders", "op": ">=", "value": 1}]},
    ),
    (
        "近90天未购",
        "time",
        {
            "all": [
                {"field": "orders", "op": ">=", "value": 1},
                {"field": "last_order", "op": "not_within_days", "days": 90},
            ]
        },
    ),
)


def install_standard_tags(session: Session, *, by: Principal, categories: list[str] | None = None) -> list[Tag]:
    """Create the ready-made rule tags that are missing (plus one "bought <category>" tag per category)."""
    existing = {t.name for t in list_tags(session, shop_id=by.shop_id)}
    wanted = list(STANDARD_TAGS)
    for category in categories or []:
        wanted.append((f"买过{category}"[:60], "product", {"field": "bought_category", "values": [category]}))
    return [
        create_tag(session, by=by, name=name, dimension=dimension, rule=rule)
        for name, dimension, rule in wanted
        if name not in existing
    ]
