"""analysis/ against hand-computed values and against Elephant on the same spike trains."""

import warnings

import numpy as np
import pytest

from analysis import decoding, spikes, weights

warnings.filterwarnings("ignore", category=DeprecationWarning)
elephant_stats = pytest.importorskip("elephant.statistics")
neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")


def _poisson(rate, t_stop, rng):
    n = rng.poisson(rate * t_stop)
    return np.sort(rng.uniform(0, t_stop, n))


def _neo(train, t_stop):
    return neo.SpikeTrain(np.asarray(train) * pq.s, t_stop=t_stop * pq.s)


# --- exact cases ---------------------------------------------------------------------------
def test_regular_train_has_zero_cv_and_lv():
    train = np.arange(0, 10, 0.1)
    assert spikes.isi_cv(train) == pytest.approx(0.0, abs=1e-12)
    assert spikes.local_variation(train) == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_cv_lv_fano():
    train = np.array([0.0, 1.0, 3.0, 4.0])  # ISIs 1, 2, 1: mean 4/3, std sqrt(2/9)
    assert spikes.isi_cv(train) == pytest.approx(np.sqrt(2 / 9) / (4 / 3))
    # LV = 3/2 * [((1-2)/3)^2 + ((2-1)/3)^2] = 1/3
    assert spikes.local_variation(train) == pytest.approx(1 / 3)
    assert spikes.fano_factor([2, 4, 6]) == pytest.approx((8 / 3) / 4)
    assert np.isnan(spikes.isi_cv([1.0, 2.0]))  # one interval only
    assert np.isnan(spikes.fano_factor([0, 0]))


def test_rates_and_split():
    i = np.array([0, 1, 1, 2, 2, 2])
    t = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 1.5])
    np.testing.assert_allclose(spikes.firing_rates(i, t, 4, 0.0, 1.0), [1, 2, 2, 0])
    trains = spikes.split_trains(i, t, 3, 0.0, 1.0)
    np.testing.assert_allclose(trains[2], [0.4, 0.5])
    centres, rate = spikes.population_rate(t, 3, 0.0, 2.0, 1.0)
    np.testing.assert_allclose(rate, [5 / 3, 1 / 3])


def test_windowed_counts_and_errors():
    np.testing.assert_array_equal(spikes.windowed_counts([0.1, 0.2, 1.5], 0, 2, 1.0), [2, 1])
    with pytest.raises(ValueError):
        spikes.windowed_counts([0.1], 0, 1, 2.0)
    with pytest.raises(ValueError):
        spikes.firing_rates([0], [0.1], 1, 1.0, 1.0)


# --- statistics against Elephant -------------------------------------------------------------
@pytest.fixture(scope="module")
def trains():
    rng = np.random.default_rng(42)
    return [_poisson(rate, 50.0, rng) for rate in (5.0, 20.0, 40.0)]


def test_cv_and_lv_match_elephant(trains):
    for tr in trains:
        isi = elephant_stats.isi(_neo(tr, 50.0)).magnitude
        assert spikes.isi_cv(tr) == pytest.approx(elephant_stats.cv(isi), rel=1e-12)
        assert spikes.local_variation(tr) == pytest.approx(elephant_stats.lv(isi), rel=1e-12)


def test_fano_matches_elephant(trains):
    ours = spikes.fano_factor([len(tr) for tr in trains])
    theirs = elephant_stats.fanofactor([_neo(tr, 50.0) for tr in trains])
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_windowed_fano_matches_elephant_binned(trains):
    from elephant.conversion import BinnedSpikeTrain

    tr = trains[1]
    binned = BinnedSpikeTrain(_neo(tr, 50.0), bin_size=0.5 * pq.s)
    counts = binned.to_array()[0]
    assert spikes.fano_factor_windowed(tr, 0, 50.0, 0.5) == pytest.approx(
        counts.var() / counts.mean(), rel=1e-12)


def test_poisson_statistics_near_one(trains):
    """Seeded Poisson trains: CV, LV and Fano within 0.15 of 1; KS does not reject."""
    tr = trains[2]  # 40 Hz x 50 s: ~2000 ISIs
    assert spikes.isi_cv(tr) == pytest.approx(1.0, abs=0.15)
    assert spikes.local_variation(tr) == pytest.approx(1.0, abs=0.15)
    assert spikes.fano_factor_windowed(tr, 0, 50.0, 1.0) == pytest.approx(1.0, abs=0.3)
    _, p = spikes.isi_exponential_ks(tr)
    assert p > 0.01
    _, p_regular = spikes.isi_exponential_ks(np.arange(0, 50, 0.025))
    assert p_regular < 1e-6


# --- decoding and weights --------------------------------------------------------------------
def test_filtered_rates_follow_the_recursion():
    i, t = np.array([0, 1, 0]), np.array([0.0, 0.002, 0.003])
    r = decoding.filtered_rates(i, t, 2, 0.0, 5, 1e-3, 50.0)
    a = 1 - 50 * 1e-3
    np.testing.assert_allclose(r[:, 0], [1, a, a**2, a**3 + 1, a**4 + a])
    np.testing.assert_allclose(r[:, 1], [0, 0, 1, a, a**2])


def test_decoder_and_coding_error_limits():
    rng = np.random.default_rng(0)
    r = rng.random((500, 6))
    d_true = rng.standard_normal((6, 2))
    x = r @ d_true
    d = decoding.fit_decoder(r, x)
    np.testing.assert_allclose(d, d_true, atol=1e-10)
    assert decoding.coding_error(x, r @ d) == pytest.approx(0.0, abs=1e-20)
    assert decoding.coding_error(x, np.zeros_like(x)) == pytest.approx(1.0)
    assert decoding.coding_error(x, x + 5.0) == pytest.approx(0.0, abs=1e-20)  # bias ignored
    assert decoding.normalised_mse(x, x + 5.0) > 1.0  # ... but not by normalised_mse
    with pytest.raises(ValueError):
        decoding.coding_error(x, x[:, :1])


def test_weight_distance_limits():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((2, 10))
    assert weights.recurrent_weight_distance(-3.0 * f.T @ f, f) == pytest.approx(0.0, abs=1e-20)
    assert weights.recurrent_weight_distance(f.T @ f, f) == pytest.approx(0.0, abs=1e-20)
    assert weights.recurrent_weight_distance(np.eye(10), f) > 0.7
    # orthogonal to the optimum: distance 1
    c = np.zeros((10, 10))
    c[0, 1], c[1, 0] = 1.0, -1.0
    assert weights.recurrent_weight_distance(c, f) == pytest.approx(1.0)
    assert weights.relative_distance(2 * np.ones(3), np.ones(3)) == pytest.approx(1.0)
    assert weights.relative_distance(np.zeros(3), np.zeros(3)) == 0.0  # both silent: agree
    assert weights.relative_distance(np.ones(3), np.zeros(3)) == np.inf
    with pytest.raises(ValueError):
        weights.relative_distance(np.ones(3), np.ones(2))


def test_max_spikes_per_step():
    assert spikes.max_spikes_per_step([], 1e-3) == 0
    assert spikes.max_spikes_per_step([0.001, 0.002, 0.002, 0.0026, 0.005], 1e-3) == 2
