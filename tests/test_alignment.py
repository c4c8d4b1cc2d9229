"""analysis.alignment: exact cases and a seeded statistical case."""

import numpy as np
import pytest
from scipy import stats

from analysis import alignment


@pytest.fixture
def w():
    return np.random.default_rng(0).standard_normal((10, 30))  # W: 30 inputs -> 10 outputs


def test_exact_cases(w):
    assert alignment.angle_deg(w.T, w) == pytest.approx(0.0, abs=1e-6)
    assert alignment.angle_deg(3.0 * w.T, w) == pytest.approx(0.0, abs=1e-6)
    assert alignment.angle_deg(-w.T, w) == pytest.approx(180.0)
    assert alignment.sign_agreement(w.T, w) == 1.0
    assert alignment.sign_agreement(-w.T, w) == 0.0
    assert alignment.pearson_r(2 * w.T + 1, w) == pytest.approx(1.0)
    y = np.zeros((30, 10))
    y[0, 0] = 1.0
    w2 = np.zeros((10, 30))
    w2[1, 0] = 1.0  # orthogonal to y after transposing
    assert alignment.angle_deg(y, w2) == pytest.approx(90.0)
    assert np.isnan(alignment.angle_deg(np.zeros((30, 10)), w))


def test_hand_computed():
    y = np.array([[1.0, 2.0], [-1.0, 0.5]])
    w = np.array([[1.0, -1.0], [1.0, 1.0]])  # W^T = [[1, 1], [-1, 1]]
    cos = (1 + 2 + 1 + 0.5) / (np.sqrt(1 + 4 + 1 + 0.25) * 2)
    assert alignment.angle_deg(y, w) == pytest.approx(np.degrees(np.arccos(cos)))
    assert alignment.sign_agreement(y, w) == 1.0
    assert alignment.pearson_r(y, w) == pytest.approx(
        stats.pearsonr(y.ravel(), w.T.ravel()).statistic)


def test_random_feedback_is_near_90_degrees(w):
    rng = np.random.default_rng(1)
    angles = [alignment.angle_deg(rng.standard_normal((30, 10)), w) for _ in range(50)]
    signs = [alignment.sign_agreement(rng.standard_normal((30, 10)), w) for _ in range(50)]
    # 300 entries: the s.d. of the angle is about 3.3 deg, of the sign agreement about 0.03
    assert np.mean(angles) == pytest.approx(90.0, abs=2.0)
    assert np.mean(signs) == pytest.approx(0.5, abs=0.02)


def test_course_and_shape_errors(w):
    course = alignment.alignment_course(np.stack([w.T, -w.T, 2 * w.T]), w)
    np.testing.assert_allclose(course["angle_deg"], [0, 180, 0], atol=1e-6)
    np.testing.assert_allclose(course["sign_agreement"], [1, 0, 1])
    with pytest.raises(ValueError, match="shape"):
        alignment.angle_deg(w, w)
    with pytest.raises(ValueError, match="length"):
        alignment.alignment_course(np.stack([w.T, w.T]), np.stack([w, w, w]))
