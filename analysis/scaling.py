"""How a cost grows with size: power-law fits on log-log axes."""

import numpy as np


def loglog_slope(sizes, costs, min_size=None):
    """Exponent b of the least-squares fit cost = a size^b (a line on log-log axes).

    Parameters
    ----------
    sizes, costs : arrays of positive numbers (points with a non-finite or non-positive
        value are left out).
    min_size : fit only the points with size >= min_size (the sizes where the cost that
        grows with size dominates fixed overheads).

    Returns
    -------
    float: b (1: linear, 2: quadratic); NaN with fewer than two points.

    Examples
    --------
    >>> round(loglog_slope([10, 100, 1000], [2, 20, 200]), 6)
    1.0
    """
    x, y = np.asarray(sizes, dtype=float), np.asarray(costs, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if min_size is not None:
        keep &= x >= min_size
    if keep.sum() < 2 or np.ptp(x[keep]) == 0:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])
