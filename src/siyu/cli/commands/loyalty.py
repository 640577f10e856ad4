"""`siyu loyalty …`: the member programme, members and points, batch jobs for cron, member analytics, and
identity matching (会员通) — including `hash-phones`, which runs at the brand without any database."""

from __future__ import annotations

import uuid
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from siyu.audit.services import Actor
from siyu.cli.commands.shops import main_principal
from siyu.cli.context import console, fail, sessions
from siyu.core.errors import DomainError, NotFound
from siyu.core.money import format_yuan
from siyu.core.paging import PageRequest
from siyu.db import transaction
from siyu.loyalty import brand_list, domain, queries, services
from siyu.loyalty.schemas import MemberAnalyticsOut, TierOut

app = typer.Typer(help="Brand membership and points (会员与积分).", no_args_is_help=True)

Shop = typer.Option(..., "--shop", help="shop code")


def _actor(session: Session, shop: str) -> Actor:
    return main_principal(session, shop).actor


@app.command("program")
def program_command(shop: str = Shop) -> None:
    """Show the programme's settings (JSON)."""
    with transaction(sessions()) as session:
        settings, row = services.load_program(session, _actor(session, shop).shop_id)
    mode = row.mode if row else "disconnected"
    console.print(f"会员通模式 / matching mode: {mode}")
    console.print_json(settings.model_dump_json())


@app.command("tiers")
def tiers_command(shop: str = Shop) -> None:
    """The tier ladder: thresholds, points multipliers, privileges."""
    with transaction(sessions()) as session:
        saved = services.list_tiers(session, shop_id=_actor(session, shop).shop_id)
    rows = [TierOut.model_validate(t) for t in saved]
    if not rows:
        rows = [
            TierOut(level=n, name=name, threshold=threshold, points_multiplier_pct=pct, privileges=list(privileges))
            for n, (name, _en, threshold, pct, privileges) in enumerate(domain.DEFAULT_TIERS, start=1)
        ]
    table = Table(
        "等级 / level", "名称 / name", "门槛 / threshold", "积分倍数 / multiplier", "权益 / privileges", "升级礼 / gift"
    )
    for t in rows:
        table.add_row(
            str(t.level),
            t.name,
            f"{t.threshold:,}",
            f"{t.points_multiplier_pct / 100:g}×",
            "、".join(t.privileges),
            f"{t.upgrade_gift_points:,}",
        )
    console.print(table)
    if not saved:
        console.print("（默认等级，尚未保存 / default ladder, not saved yet）")


@app.command("members")
def members_command(
    shop: str = Shop,
    q: str = typer.Option("", "--q", help="member no., JD account, name or the last 4 phone digits"),
    page: int = typer.Option(1, "--page"),
) -> None:
    """Members, newest first (phones masked)."""
    with transaction(sessions()) as session:
        result = queries.list_members(session, shop_id=_actor(session, shop).shop_id, page=PageRequest(page, 50), q=q)
    table = Table(
        title=f"会员 / members: {result.total:,}（第 {result.request.page}/{result.pages} 页 / page）",
    )
    for column in ("ID", "会员号 / no.", "账号 / account", "姓名 / name", "手机 / phone", "等级 / tier"):
        table.add_column(column)
    for column in ("积分 / points", "欠分 / debt", "成长值 / growth"):
        table.add_column(column, justify="right")
    for m in result.items:
        table.add_row(
            str(m.id),
            m.member_no,
            m.account,
            m.name,
            m.phone_masked,
            m.tier_name,
            f"{m.points_balance:,}",
            f"{m.points_debt:,}",
            f"{m.growth_value:,}",
        )
    console.print(table)


@app.command("join")
def join_command(
    shop: str = Shop,
    phone: str = typer.Option(..., "--phone"),
    consent_text: str = typer.Option(..., "--consent-text", help="the terms the customer agreed to"),
    consent_evidence: str = typer.Option("", "--consent-evidence", help="e.g. the signed form's number"),
    name: str = typer.Option("", "--name"),
    account: str = typer.Option("", "--account", help="JD account, when known"),
) -> None:
    """开卡 by phone with the customer's consent (source: console)."""
    consent = services.Consent(source="console", text=consent_text, evidence=consent_evidence)
    try:
        with transaction(sessions(), write=True) as session:
            member = services.join_by_phone(
                session, by=_actor(session, shop), phone=phone, consent=consent, name=name, account=account
            )
            line = f"{member.member_no} (#{member.id}), 积分 / points {member.points_balance:,}"
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"[green]已开卡 / joined[/green] {line}")


def _member_id(session: Session, shop_id: int, member: str) -> int:
    """A member by id or by member number."""
    if member.isdigit():
        return int(member)
    found = queries.list_members(session, shop_id=shop_id, page=PageRequest(1, 200), q=member, status="")
    for row in found.items:
        if row.member_no == member:
            return row.id
    raise NotFound("会员", "member")


@app.command("grant")
def grant_command(
    shop: str = Shop,
    member: str = typer.Option(..., "--member", help="member id or member no."),
    points: int = typer.Option(..., "--points", help="positive grants, negative deducts"),
    reason: str = typer.Option(..., "--reason"),
    key: str = typer.Option("", "--key", help="idempotency key: a retry with the same key grants once"),
) -> None:
    """Grant or deduct points by hand (audited)."""
    key = key or f"cli:{uuid.uuid4().hex}"
    try:
        with transaction(sessions(), write=True) as session:
            by = _actor(session, shop)
            result = services.adjust_points(
                session,
                by=by,
                member_id=_member_id(session, by.shop_id, member),
                points=points,
                reason=reason,
                idempotency_key=key,
            )
            balance = result.member.points_balance
    except DomainError as exc:
        raise fail(exc) from exc
    if result.replayed:
        console.print(f"[yellow]已处理过 / already done[/yellow] (key {key}); 余额 / balance {balance:,}")
    else:
        console.print(f"[green]{points:+,}[/green] 积分 / points; 余额 / balance {balance:,}; key {key}")


@app.command("sync-orders")
def sync_orders_command(shop: str = Shop) -> None:
    """Award points for members' new paid orders and take back refunded ones (run after imports)."""
    try:
        with transaction(sessions(), write=True) as session:
            done = services.sync_order_points(session, by=_actor(session, shop))
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(
        f"积分订单 / orders awarded {done.awarded:,} ({done.points:,} 积分 / points); "
        f"退款扣回 / refunds reversed {done.reversed:,}"
    )


@app.command("expire")
def expire_command(shop: str = Shop) -> None:
    """Expire the points whose time has come (nightly)."""
    with transaction(sessions(), write=True) as session:
        points = services.expire_points(session, by=_actor(session, shop))
    console.print(f"过期积分 / points expired: {points:,}")


@app.command("review-tiers")
def review_tiers_command(shop: str = Shop) -> None:
    """Review every member's tier (upgrades at once, downgrades by the programme's rule)."""
    with transaction(sessions(), write=True) as session:
        review = services.review_tiers(session, by=_actor(session, shop))
    console.print(
        f"会员 / members {review.members:,}: 升级 / upgraded {review.upgraded:,}, "
        f"降级 / downgraded {review.downgraded:,}"
    )


@app.command("birthday-gifts")
def birthday_gifts_command(shop: str = Shop) -> None:
    """Give today's birthday gifts (daily; once a year per member)."""
    try:
        with transaction(sessions(), write=True) as session:
            given = services.grant_birthday_gifts(session, by=_actor(session, shop))
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"生日礼 / birthday gifts: {given:,}")


@app.command("analytics")
def analytics_command(shop: str = Shop, as_json: bool = typer.Option(False, "--json")) -> None:
    """Members vs non-members: repurchase rate and average order value; tiers."""
    with transaction(sessions()) as session:
        report = MemberAnalyticsOut.model_validate(
            queries.member_analytics(session, shop_id=_actor(session, shop).shop_id)
        )
    if as_json:
        console.print_json(report.model_dump_json())
        return
    console.print(
        f"会员 / members {report.members:,} · 店铺会员（购买过）/ shop members {report.shop_members:,} · "
        f"粉丝 / fans {report.fans:,} · 近 30 天新会员 / new in 30 days {report.new_members_30d:,}"
    )
    table = Table(title=f"近 {report.window_days} 天 / last {report.window_days} days")
    for column in ("", "购买客户 / buyers", "复购率 / repurchase", "订单 / orders", "客单价 / AOV", "GMV"):
        table.add_column(column, justify="right" if column else "left")
    for label, cohort in (("会员 / members", report.member), ("非会员 / non-members", report.non_member)):
        table.add_row(
            label,
            f"{cohort.buyers:,}",
            f"{cohort.repurchase_rate:.1%}",
            f"{cohort.orders:,}",
            format_yuan(cohort.aov_fen),
            format_yuan(cohort.gmv_fen),
        )
    console.print(table)
    ratio = "—" if report.repurchase_ratio is None else f"{report.repurchase_ratio:.1f}×"
    uplift = "—" if report.aov_uplift is None else f"{report.aov_uplift:+.0%}"
    console.print(f"复购倍数 / repurchase ratio {ratio} · 客单价提升 / AOV uplift {uplift}")
    tiers = Table("等级 / tier", "会员 / members")
    for t in report.tiers:
        tiers.add_row(f"{t.level} {t.name}", f"{t.members:,}")
    console.print(tiers)


# ---- identity matching ---------------------------------------------------------------------------------------
@app.command("matching")
def matching_command(
    shop: str = Shop, mode: str = typer.Option(..., "--mode", help="connected (打通) or disconnected (不打通)")
) -> None:
    """Switch identity matching on (connected) or off (disconnected)."""
    try:
        with transaction(sessions(), write=True) as session:
            row = services.set_matching_mode(session, by=_actor(session, shop), mode=mode)
            mode = row.mode
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"会员通模式 / matching mode: {mode}")
    if mode == "connected":
        console.print("共享密钥 / shared key: `siyu loyalty secret --shop …`")


@app.command("secret")
def secret_command(
    shop: str = Shop, rotate: bool = typer.Option(False, "--rotate", help="make a new key (old hashes stop matching)")
) -> None:
    """Print the key shared with the brand for hashing phones (audited); `--rotate` replaces it first."""
    try:
        with transaction(sessions(), write=True) as session:
            by = _actor(session, shop)
            if rotate:
                secret = services.rotate_match_secret(session, by=by).match_secret
            else:
                secret = services.reveal_match_secret(session, by=by)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(secret, markup=False, highlight=False, soft_wrap=True)


@app.command("hash-phones")
def hash_phones_command(
    input_file: Path = typer.Argument(..., help="the brand's clear list: phone[,brand member no.[,tier]]"),
    output_file: Path = typer.Argument(..., help="where to write hmac,brand_no,tier lines"),
    secret_file: Path = typer.Option(..., "--secret-file", help="a file holding the shared key"),
) -> None:
    """At the brand, without any database: hash the clear phone list with the shared key, so that only
    HMAC-SHA256 values are sent to the shop. Bad lines are reported and not written."""
    try:
        secret = secret_file.read_text(encoding="utf-8").strip()
        text = brand_list.decode(input_file.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"无法读取文件 / cannot read the file: {exc}") from exc
    if not secret:
        raise fail(f"密钥文件为空 / the secret file is empty: {secret_file}")
    result = brand_list.hash_brand_list(text.splitlines(), secret)
    try:
        with output_file.open("w", encoding="utf-8", newline="\n") as out:
            out.write(brand_list.HEADER + "\n")
            for digest, brand_no, tier in result.rows:
                out.write(f"{digest},{brand_no},{tier}\n")
    except OSError as exc:
        raise fail(f"无法写入 / cannot write {output_file}: {exc}") from exc
    console.print(
        f"已写入 / written {len(result.rows):,} → {output_file}; 重复 / duplicates {result.duplicates:,}; "
        f"无效行 / bad lines {len(result.bad_lines):,}"
    )
    if result.bad_lines:
        shown = ", ".join(str(n) for n in result.bad_lines[:50])
        more = " …" if len(result.bad_lines) > 50 else ""
        console.print(f"[yellow]无效手机号的行 / lines without a valid mobile:[/yellow] {shown}{more}")


@app.command("upload-hashes")
def upload_hashes_command(
    file: Path = typer.Argument(..., help="hmac[,brand member no.[,tier]] lines, e.g. from hash-phones"),
    shop: str = Shop,
    legal_basis: str = typer.Option(..., "--legal-basis", help="PIPL legal basis, e.g. the brand's member terms"),
) -> None:
    """Upload the brand's member hashes (connected mode; audited) and print the match report."""
    try:
        text = brand_list.decode(file.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"无法读取文件 / cannot read the file: {exc}") from exc
    try:
        with transaction(sessions(), write=True) as session:
            report = services.upload_member_hashes(
                session, by=_actor(session, shop), lines=text.splitlines(), filename=file.name, legal_basis=legal_basis
            )
            upload = report.upload
            counts = (upload.rows, upload.new_hashes, upload.matched, upload.rejected)
    except DomainError as exc:
        raise fail(exc) from exc
    table = Table("", "", title="会员通匹配 / member matching")
    for label, value in (
        ("行数 / rows", counts[0]),
        ("新哈希 / new hashes", counts[1]),
        ("本次匹配 / matched now", counts[2]),
        ("无效行 / rejected", counts[3]),
        ("哈希总数 / total hashes", report.total_hashes),
        ("已匹配总数 / matched in all", report.matched_total),
    ):
        table.add_row(label, f"{value:,}")
    table.add_row("匹配率 / match rate", f"{report.match_rate:.1%}")
    console.print(table)


@app.command("match")
def match_command(shop: str = Shop) -> None:
    """Match the still unmatched hashes against customers now (e.g. after an import)."""
    with transaction(sessions(), write=True) as session:
        by = _actor(session, shop)
        matched = services.match_pending(session, by=by)
        total = services.hash_total(session, shop_id=by.shop_id)
        in_all = services.matched_count(session, shop_id=by.shop_id)
    rate = in_all / total if total else 0.0
    console.print(f"本次匹配 / matched now {matched:,}; 匹配率 / match rate {rate:.1%} ({in_all:,}/{total:,})")
