"""The scaling study: the log-log slope, and the figure drawn from synthetic run results."""

import numpy as np
import pytest

from analysis.io import RunResult
from analysis.scaling import loglog_slope


def test_loglog_slope_is_the_exponent_of_a_power_law():
    n = np.array([20, 200, 2000, 20000])
    assert loglog_slope(n, 3e-6 * n) == pytest.approx(1.0)
    assert loglog_slope(n, 1e-9 * n**2) == pytest.approx(2.0)
    # a fixed overhead flattens the small sizes: min_size fits where the size-bound cost rules
    cost = 0.05 + 1e-6 * n
    assert loglog_slope(n, cost) < 0.8
    assert loglog_slope(n, cost, min_size=2000) == pytest.approx(np.log(0.07 / 0.052) / np.log(10))
    assert np.isnan(loglog_slope([10], [1.0]))
    assert loglog_slope([10, 100, 1000], [1.0, np.nan, 100.0]) == pytest.approx(1.0)


def _balanced(target, n, wall_per_s):
    metrics = dict(coding_error_readout_final=0.01, coding_error_final=0.008 if n < 1000 else None,
                   rate_final_hz=300 / n, rate_max_final_hz=3000 / n, cv_isi_median=1.5,
                   spikes_per_step_final=0.3, evaluate_loop_s=20 * wall_per_s,
                   evaluate_simulated_s=20.0, evaluate_sim_cpu_s=18 * wall_per_s,
                   evaluate_sim_peak_memory_mb=50 + n / 1000, peak_memory_mb=300.0)
    return RunResult("balanced-coding", dict(device=target, n_neurons=n), metrics=metrics)


def _rdd(target, sizes, wall_per_s):
    metrics = dict(rdd_angle_deg=40 + sizes[0] / 300, rdd_sign_agreement=0.8, loop_s=10 * wall_per_s,
                   sim_cpu_s=9 * wall_per_s, sim_peak_memory_mb=sizes[0] * sizes[1] * 1.6e-4,
                   peak_memory_mb=400.0)
    return RunResult("rdd-alignment", dict(device=target, sizes=",".join(map(str, sizes)),
                                           duration="10 s"), metrics=metrics)


def test_the_figure_and_its_slopes_come_from_run_results():
    from figures import FIGURES
    from figures.scaling import RUNS, draw, slopes

    assert "scaling" in FIGURES
    labels = {r.label for r in RUNS}
    assert {"balanced-cpp-N100000", "rdd-cpp-10000x2500"} <= labels
    results = {}
    for n in (20, 200, 2000, 20000, 100000):
        results[f"b{n}"] = _balanced("cpp", n, 1e-5 * n)  # linear in N
        results[f"r{n}"] = _balanced("runtime", n, 1e-9 * n**2)  # quadratic
    for sizes in ((64, 32), (1000, 250), (10000, 2500)):
        results[f"rdd{sizes}"] = _rdd("cpp", sizes, 2e-7 * sizes[0] * sizes[1])
    fitted = slopes(results)
    assert fitted["balanced_cpp"] == pytest.approx(1.0)
    assert fitted["balanced_cpp_cpu"] == pytest.approx(1.0)
    assert fitted["balanced_runtime"] == pytest.approx(2.0)
    assert fitted["rdd_cpp"] == pytest.approx(1.0)
    fig = draw(results, title="synthetic")
    assert len(fig.axes) == 8
