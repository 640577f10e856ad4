"""Pure statistics of hold-out attribution: what a campaign added over a random control group that
received nothing (SPEC §4 "Results"), and the seed's benchmark.

The arms are summarised by counts and sums, so the database can aggregate them in one query:
recipients, how many converted (ordered within the attribution window), the sum of their GMV in fen
and the sum of each customer's GMV squared (for the variance). Confidence intervals use the normal
approximation with ``z`` (1.96 ≈ 95%):

- conversion lift: the Wald interval of a difference of two proportions, unpooled,
  ``(p₁ − p₀) ± z·√(p₁(1−p₁)/n₁ + p₀(1−p₀)/n₀)``;
- GMV lift per recipient: the difference of means with Welch's (unequal-variance) standard error,
  ``(x̄₁ − x̄₀) ± z·√(s₁²/n₁ + s₀²/n₀)``, ``s²`` the sample variance (n − 1), computed exactly in
  integers from the sums;
- incremental GMV: the lift per recipient times the target arm's recipients (and so its interval).

With fewer than :data:`MIN_ARM` recipients in either arm the intervals are not given (``None``) and
``reason_zh``/``reason_en`` say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from siyu.core.errors import InvalidInput

MIN_ARM = 30
"""Recipients each arm needs before an interval is shown."""


@dataclass(frozen=True, slots=True)
class ArmTotals:
    recipients: int
    converted: int
    gmv_fen: int
    gmv_sq_fen: int
    """Sum over the arm's customers of (their GMV in fen)²."""

    def __post_init__(self) -> None:
        if self.recipients < 0 or not 0 <= self.converted <= self.recipients:
            raise _bad("need 0 <= converted <= recipients", "需要 0 ≤ 转化人数 ≤ 触达人数")
        if self.gmv_sq_fen < 0 or self.recipients * self.gmv_sq_fen < self.gmv_fen * self.gmv_fen:
            # Cauchy–Schwarz: n·Σx² ≥ (Σx)² for any real values
            raise _bad("the sum of squares is too small for the sum", "平方和与总额不一致")
        if self.recipients == 0 and (self.converted or self.gmv_fen or self.gmv_sq_fen):
            raise _bad("an empty arm has no conversions or GMV", "没有触达人数的组不能有转化或成交额")

    @property
    def conversion(self) -> float:
        return self.converted / self.recipients if self.recipients else 0.0

    @property
    def mean_gmv(self) -> float:
        """GMV per recipient, in fen."""
        return self.gmv_fen / self.recipients if self.recipients else 0.0

    @property
    def variance_gmv(self) -> float | None:
        """Sample variance (n − 1) of GMV per recipient, fen²; ``None`` below 2 recipients."""
        n = self.recipients
        if n < 2:
            return None
        return float(Fraction(n * self.gmv_sq_fen - self.gmv_fen * self.gmv_fen, n * (n - 1)))


def _bad(en: str, zh: str) -> InvalidInput:
    return InvalidInput(f"对照统计数据无效：{zh}", f"invalid hold-out totals: {en}", code="campaign_invalid_totals")


@dataclass(frozen=True, slots=True)
class Incremental:
    conversion_target: float
    conversion_holdout: float
    conversion_lift: float
    """Difference of the conversion rates, target − hold-out (e.g. 0.05 = five points)."""
    conversion_lift_low: float | None
    conversion_lift_high: float | None
    gmv_per_recipient_target: float
    gmv_per_recipient_holdout: float
    gmv_lift_per_recipient: float
    """fen per recipient, target − hold-out."""
    gmv_lift_low: float | None
    gmv_lift_high: float | None
    incremental_gmv_fen: int
    """GMV the campaign added: the lift per recipient times the target arm's recipients."""
    incremental_gmv_low_fen: int | None
    incremental_gmv_high_fen: int | None
    enough_data: bool
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def conversion_significant(self) -> bool:
        """The conversion interval excludes 0."""
        return _excludes_zero(self.conversion_lift_low, self.conversion_lift_high)

    @property
    def gmv_significant(self) -> bool:
        """The GMV interval excludes 0."""
        return _excludes_zero(self.gmv_lift_low, self.gmv_lift_high)


def _excludes_zero(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None and (low > 0 or high < 0)


def incremental(target: ArmTotals, holdout: ArmTotals, z: float = 1.96) -> Incremental:
    """What the campaign added over the hold-out arm, with confidence intervals when both arms have
    at least :data:`MIN_ARM` recipients."""
    if not z > 0:
        raise ValueError("z must be positive")
    p1, p0 = target.conversion, holdout.conversion
    m1, m0 = target.mean_gmv, holdout.mean_gmv
    conv_lift = p1 - p0
    gmv_lift = m1 - m0
    n1, n0 = target.recipients, holdout.recipients
    inc = round(gmv_lift * n1)
    if n1 < MIN_ARM or n0 < MIN_ARM:
        return Incremental(
            p1,
            p0,
            conv_lift,
            None,
            None,
            m1,
            m0,
            gmv_lift,
            None,
            None,
            inc,
            None,
            None,
            enough_data=False,
            reason_zh=f"目标组 {n1} 人、对照组 {n0} 人：每组至少 {MIN_ARM} 人才能给出置信区间",
            reason_en=f"target {n1}, hold-out {n0} recipients: each arm needs at least {MIN_ARM} for an interval",
        )
    se_conv = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    v1, v0 = target.variance_gmv, holdout.variance_gmv
    assert v1 is not None and v0 is not None  # n ≥ MIN_ARM ≥ 2
    se_gmv = math.sqrt(v1 / n1 + v0 / n0)
    low, high = gmv_lift - z * se_gmv, gmv_lift + z * se_gmv
    return Incremental(
        p1,
        p0,
        conv_lift,
        conv_lift - z * se_conv,
        conv_lift + z * se_conv,
        m1,
        m0,
        gmv_lift,
        low,
        high,
        inc,
        round(low * n1),
        round(high * n1),
        enough_data=True,
    )


def roi(gmv_fen: int, cost_fen: int) -> Decimal | None:
    """GMV per unit of cost (25 means 1:25), to two decimals; ``None`` when nothing was spent."""
    if cost_fen < 0:
        raise ValueError("cost cannot be negative")
    if cost_fen == 0:
        return None
    return (Decimal(gmv_fen) / Decimal(cost_fen)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Benchmark:
    roi: Decimal
    aov_low_fen: int
    aov_high_fen: int
    conversion: float
    """The conversion rate should be *above* this."""

    def applies_to(self, aov_fen: int) -> bool:
        """Whether a campaign with this average order value is comparable with the benchmark."""
        return self.aov_low_fen <= aov_fen <= self.aov_high_fen


SEED_BENCHMARK = Benchmark(roi=Decimal(25), aov_low_fen=10_000, aov_high_fen=25_000, conversion=0.25)
"""The seed's 618 target: ROI 1:25 at an average order value of 100–250 yuan, conversion above 25%."""
SEED_BENCHMARK_ROI = SEED_BENCHMARK.roi
SEED_BENCHMARK_AOV_FEN = (SEED_BENCHMARK.aov_low_fen, SEED_BENCHMARK.aov_high_fen)
SEED_BENCHMARK_CONVERSION = SEED_BENCHMARK.conversion
