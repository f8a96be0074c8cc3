import numpy as np
import pytest

from colordisc_tf import color, metrics


def _numpy_auc(ab_pred, ab_true, weights=None, max_t=150):
    """Independent re-computation: loop over thresholds, trapezoid by hand."""
    err = np.linalg.norm((ab_pred - ab_true).reshape(-1, 2), axis=1)
    w = np.ones_like(err) if weights is None else np.asarray(weights, float).ravel()
    acc = [np.sum(w * (err <= t)) / np.sum(w) for t in range(max_t + 1)]
    area = sum((acc[t] + acc[t + 1]) / 2 for t in range(max_t))
    return 100 * area / max_t


def _random_ab(rng, shape):
    return rng.uniform(-80, 80, size=shape + (2,))


def test_auc_identical_is_100():
    ab = _random_ab(np.random.default_rng(0), (4, 8, 8))
    assert metrics.auc_raw_accuracy(ab, ab) == pytest.approx(100.0)


def test_auc_matches_numpy_reimplementation():
    rng = np.random.default_rng(1)
    true = _random_ab(rng, (3, 16, 16))
    pred = true + rng.normal(0, 30, size=true.shape)
    assert metrics.auc_raw_accuracy(pred, true) == pytest.approx(_numpy_auc(pred, true), abs=1e-9)
    w = rng.random(true.shape[:-1])
    assert metrics.auc_raw_accuracy(pred, true, weights=w) == pytest.approx(
        _numpy_auc(pred, true, w), abs=1e-9
    )


def test_auc_gray_prediction_known_value():
    # All errors exactly 75: accuracy is 0 below 75, 1 from 75 on.
    true = np.tile(np.array([[45.0, 60.0]]), (10, 1))  # |ab| = 75
    auc = metrics.auc_raw_accuracy(np.zeros_like(true), true)
    assert auc == pytest.approx(100 * (75 + 0.5) / 150)


def test_auc_rebalanced_matches_numpy_and_differs_from_raw():
    true = np.concatenate([np.zeros((90, 2)), np.full((10, 2), 60.0)])
    pred = np.zeros_like(true)  # right on the common colour, wrong on the rare one
    prior = np.full(313, 1e-3)
    common, rare = color.nearest_bin(np.float32([[0, 0], [60, 60]]))
    prior[common], prior[rare] = 0.9, 0.1
    weights = 1.0 / prior[[common] * 90 + [rare] * 10]
    expected = _numpy_auc(pred, true, weights)
    got = metrics.auc_rebalanced(pred, true, prior)
    assert got == pytest.approx(expected, abs=1e-9)
    assert got < metrics.auc_raw_accuracy(pred, true)


def _numpy_colorfulness(img):
    img = img.astype(float)
    rg = img[..., 0] - img[..., 1]
    yb = 0.5 * (img[..., 0] + img[..., 1]) - img[..., 2]
    return np.hypot(np.std(rg), np.std(yb)) + 0.3 * np.hypot(np.mean(rg), np.mean(yb))


def test_colorfulness_matches_formula_and_handles_dtypes():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, size=(12, 10, 3)).astype(np.uint8)
    assert metrics.colorfulness(img) == pytest.approx(_numpy_colorfulness(img))
    assert metrics.colorfulness(img / 255.0) == pytest.approx(_numpy_colorfulness(img))
    batch = np.stack([img, img[::-1], np.zeros_like(img)])
    np.testing.assert_allclose(metrics.colorfulness(batch), [_numpy_colorfulness(b) for b in batch])


def test_gray_image_has_zero_colorfulness_and_identical_delta_zero():
    rng = np.random.default_rng(4)
    gray = np.repeat(rng.random((8, 8, 1)), 3, axis=-1)
    assert metrics.colorfulness(gray) == pytest.approx(0.0, abs=1e-9)
    img = rng.random((8, 8, 3))
    assert metrics.delta_colorfulness(img, img) == 0.0
    assert metrics.delta_colorfulness(gray, img) == pytest.approx(metrics.colorfulness(img))


def test_saturated_red_is_more_colorful_than_pastel():
    red = np.zeros((4, 4, 3))
    red[..., 0] = 1.0
    pastel = np.full((4, 4, 3), 0.8)
    pastel[..., 0] = 0.9
    assert metrics.colorfulness(red) > metrics.colorfulness(pastel)


def test_psnr_against_numpy_and_identical_is_inf():
    rng = np.random.default_rng(5)
    a = rng.random((2, 8, 8, 3))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    expected = [10 * np.log10(1.0 / np.mean((x - y) ** 2)) for x, y in zip(a, b)]
    np.testing.assert_allclose(metrics.psnr(a, b), expected)
    a8, b8 = (a * 255).astype(np.uint8), (b * 255).astype(np.uint8)
    expected8 = 10 * np.log10(255.0**2 / np.mean((a8[0].astype(float) - b8[0]) ** 2))
    assert metrics.psnr(a8[0], b8[0]) == pytest.approx(expected8)
    assert np.isinf(metrics.psnr(a[0], a[0]))


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        metrics.auc_raw_accuracy(np.zeros((4, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="shape"):
        metrics.psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))


@pytest.mark.parametrize("k,n", [(0, 5), (3, 9), (9, 9), (40, 100)])
def test_proportion_ci_is_wilson(k, n):
    z = 1.959963984540054  # the 97.5 % normal quantile
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    np.testing.assert_allclose(metrics.proportion_ci(k, n), [centre - half, centre + half], atol=1e-9)
    assert metrics.proportion_ci(0, 0) is None


def test_bootstrap_ci_of_a_mean_matches_the_t_interval_and_narrows_with_n():
    from scipy.stats import t

    rng = np.random.default_rng(3)
    widths = []
    for n in (12, 200):
        x = rng.normal(5.0, 2.0, n)
        lo, hi = metrics.bootstrap_ci(np.mean, x)
        half = t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n)
        assert lo < x.mean() < hi
        assert abs((hi - lo) / (2 * half) - 1) < 0.25  # percentile bootstrap ~ t interval (a bit narrower)
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 3
    assert metrics.bootstrap_ci(np.mean, [1.0]) is None


def test_bootstrap_ci_of_roc_auc_resamples_pairs():
    rng = np.random.default_rng(4)
    real, colorized = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 40)
    lo, hi = metrics.bootstrap_ci(metrics.roc_auc, real, colorized)
    assert lo < metrics.roc_auc(real, colorized) < hi and 0.0 <= lo and hi <= 1.0
    assert metrics.bootstrap_ci(metrics.roc_auc, real + 10, colorized) == [1.0, 1.0]  # always separable
    assert metrics.bootstrap_ci(metrics.roc_auc, real, colorized) == metrics.bootstrap_ci(metrics.roc_auc, real, colorized)
