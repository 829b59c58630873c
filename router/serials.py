"""How many cables a station really sent in a year, from the station serials that were published.

Station serials run 1, 2, 3, ... per originating station and year, so the serials of the published
cables are a sample of the numbers 1..N, where N is what the station sent that year. Estimating N
from the sample is the serial-number ("German tank") problem that Gill and Spirling (Political
Analysis, 2015) applied to Cablegate. With k distinct serials observed and m the largest:

- estimate: the minimum-variance unbiased estimator N = m + m/k - 1, for k numbers drawn without
  replacement, all subsets equally likely;
- 95% interval: [m, U], where U is the largest N for which a sample of k drawn from 1..N would have
  its maximum at m or below with probability above 5%. That probability is
  C(m, k) / C(N, k) = prod over i < k of (m - i) / (N - i); it falls as N grows, so U is found by
  bisection. U is at most m / 0.05^(1/k) (the with-replacement bound, which the exact one tightens
  slightly). The interval covers the true N in at least 95% of samples (tested by simulation);
- share published: k / estimate.

What the model assumes and how the data are cleaned:

- The published cables are a uniform sample of the station's year. They are not (Gill and Spirling
  find the share varies by post and year); the estimate is of the numbering a station reached, which
  is what the serials can tell.
- Serials restart every year: each (station, year) is its own series. A cable dated in the first
  days of a year that still carries the previous year's numbering (or the reverse) shows as a high
  outlier in its year.
- Outliers: a single absurd serial (a typo, a misread, the previous year's numbering) would set m on
  its own. The highest serial is set aside when the second highest is so far below it that a uniform
  sample would place them that far apart with probability below `OUTLIER_P` (the ratio of the two
  largest of k uniform draws, second / largest, is below x with probability x^(k-1)); this is
  repeated while it holds, and the serials set aside are reported.
- A reset inside a year (a station numbering from 1 again) cannot be told from sampling: the
  estimate is then of the higher of the two numberings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

#: The interval's confidence level.
CONFIDENCE = 0.95

#: A top serial is an outlier when a uniform sample would put it that far above the rest with less
#: than this probability.
OUTLIER_P = 0.001


class SerialEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """The estimated traffic of one station in one year."""

    station: str
    year: int
    observed: int
    max_serial: int
    estimate: int
    low: int
    high: int
    share: float
    outliers: tuple[int, ...] = ()


def set_aside_outliers(serials: list[int], p: float = OUTLIER_P) -> tuple[list[int], list[int]]:
    """The distinct positive serials in ascending order with implausibly high top serials removed,
    and those removed (see the module's notes)."""
    kept = sorted({s for s in serials if s > 0})
    removed: list[int] = []
    while len(kept) >= 2:
        k = len(kept)
        ratio = kept[-2] / kept[-1]
        if ratio ** (k - 1) >= p:
            break
        removed.append(kept.pop())
    return kept, removed


def max_at_most_probability(m: int, k: int, total: int) -> float:
    """P(the largest of k distinct numbers drawn from 1..total is at most m) = C(m,k) / C(total,k)."""
    if m >= total:
        return 1.0
    if m < k:
        return 0.0
    lgamma = math.lgamma
    return math.exp(lgamma(m + 1) - lgamma(m - k + 1) - lgamma(total + 1) + lgamma(total - k + 1))


def upper_bound(m: int, k: int, confidence: float = CONFIDENCE) -> int:
    """The largest total N for which a maximum of m or less among k draws has probability above
    1 - confidence."""
    alpha = 1.0 - confidence
    low = m  # always plausible: probability 1
    high = max(m, math.ceil(m / alpha ** (1.0 / k))) + 1  # implausible: probability <= alpha
    while high - low > 1:
        middle = (low + high) // 2
        # (1e-9: the log-gamma form is exact to about 1e-12, so that a boundary case stays outside)
        if max_at_most_probability(m, k, middle) > alpha * (1 + 1e-9):
            low = middle
        else:
            high = middle
    return low


def estimate_series(station: str, year: int, serials: Iterable[int]) -> SerialEstimate | None:
    """The estimate for one station and year from its published serials (None without any)."""
    kept, removed = set_aside_outliers(list(serials))
    if not kept:
        return None
    k, m = len(kept), kept[-1]
    total = round(m + m / k - 1)
    total = max(total, m)
    return SerialEstimate(
        station=station,
        year=year,
        observed=k,
        max_serial=m,
        estimate=total,
        low=m,
        high=upper_bound(m, k),
        share=k / total,
        outliers=tuple(sorted(removed)),
    )


def estimate_all(series: dict[tuple[str, int], list[int]]) -> list[SerialEstimate]:
    """Estimates for every (station, year) series, by station then year."""
    found = []
    for (station, year), serials in sorted(series.items()):
        estimate = estimate_series(station, year, serials)
        if estimate is not None:
            found.append(estimate)
    return found
