"""Small statistics shared by the pipeline's analyses and the reports (which import it from here,
so the pipeline never imports `reports`)."""

from __future__ import annotations

from scipy import stats


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a share k/n at the normal quantile z (1.96: 95 %), from SciPy;
    it behaves at 0 and n, unlike the normal approximation."""
    if n == 0:
        return (0.0, 0.0)
    level = 2 * stats.norm.cdf(z) - 1
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return (max(0.0, float(ci.low)), min(1.0, float(ci.high)))
