import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from skimage.color import lab2rgb, rgb2lab

from colordisc_tf import color

REFERENCE_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ab_bins_313.csv"


def _random_colors(n=10_000, seed=0):
    rng = np.random.default_rng(seed)
    corners = np.array([[r, g, b] for r in (0, 1) for g in (0, 1) for b in (0, 1)], np.float32)
    return np.concatenate([rng.random((n, 3), dtype=np.float32), corners])


def test_rgb_to_lab_matches_skimage():
    rgb = _random_colors()
    ours = color.rgb_to_lab(rgb)
    oracle = rgb2lab(rgb[None].astype(np.float64))[0]
    assert ours.shape == rgb.shape
    assert np.max(np.abs(ours - oracle)) < 0.5


def test_lab_round_trip():
    rgb = _random_colors(seed=1)
    back = color.lab_to_rgb(color.rgb_to_lab(rgb))
    assert np.max(np.abs(back - rgb)) < 2e-3


def test_lab_to_rgb_matches_skimage_on_images():
    rng = np.random.default_rng(2)
    rgb = rng.random((2, 8, 9, 3)).astype(np.float32)
    lab = rgb2lab(rgb)
    np.testing.assert_allclose(color.lab_to_rgb(lab), lab2rgb(lab), atol=2e-3)


def test_tensor_in_tensor_out_and_graph_mode():
    rgb = tf.constant(_random_colors(10)[None, None])
    out = tf.function(color.rgb_to_lab)(rgb)
    assert isinstance(out, tf.Tensor)
    assert out.shape == rgb.shape


def test_wrong_last_axis_is_rejected():
    with pytest.raises(ValueError, match="last axis 3"):
        color.rgb_to_lab(np.zeros((4, 4, 2), np.float32))
    with pytest.raises(ValueError, match="last axis 2"):
        color.soft_encode(np.zeros((4, 3), np.float32))


# The compact table of ../shared/reference/README.md: for each a, b runs from..to.
B_RANGE_BY_A = {
    -90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100),
    -40: (-40, 100), -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100),
    10: (-80, 90), 20: (-80, 90), 30: (-90, 90), 40: (-100, 90), 50: (-100, 80),
    60: (-110, 80), 70: (-110, 80), 80: (-110, 70), 90: (-110, 70), 100: (-90, 0),
}


def test_ab_bins_match_reference_table():
    expected = [(a, b) for a, (lo, hi) in sorted(B_RANGE_BY_A.items()) for b in range(lo, hi + 1, 10)]
    assert len(expected) == 313
    np.testing.assert_array_equal(color.AB_BINS, np.array(expected))


@pytest.mark.skipif(not REFERENCE_CSV.exists(), reason=f"reference data not found at {REFERENCE_CSV}")
def test_ab_bins_equal_reference_csv():
    with open(REFERENCE_CSV) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["a", "b"]
    reference = np.array([[int(a), int(b)] for a, b in rows[1:]])
    assert color.AB_BINS.shape == (313, 2)
    assert np.issubdtype(color.AB_BINS.dtype, np.integer)
    np.testing.assert_array_equal(color.AB_BINS, reference)


def test_nearest_bin_on_centres_is_identity():
    idx = color.nearest_bin(color.AB_BINS.astype(np.float32))
    np.testing.assert_array_equal(idx, np.arange(313))


@pytest.mark.parametrize("k", [1, 5, 10])
def test_soft_encode_rows(k):
    rng = np.random.default_rng(3)
    ab = rng.uniform(-80, 80, size=(64, 7, 2)).astype(np.float32)
    enc = color.soft_encode(ab, k=k, sigma=5.0)
    assert enc.shape == (64, 7, 313)
    np.testing.assert_allclose(enc.sum(-1), 1.0, atol=1e-5)
    assert np.all((enc > 0).sum(-1) == k)
    # The nearest bin (brute force in NumPy) gets the largest weight.
    d2 = ((ab[..., None, :] - color.AB_BINS[None, None].astype(np.float32)) ** 2).sum(-1)
    np.testing.assert_array_equal(enc.argmax(-1), d2.argmin(-1))


def test_soft_encode_weights_are_gaussian():
    ab = np.array([[3.0, -4.0]], np.float32)
    enc = color.soft_encode(ab, k=5, sigma=5.0)[0]
    d2 = ((color.AB_BINS - ab) ** 2).sum(-1)
    nearest = np.argsort(d2)[:5]
    expected = np.exp(-d2[nearest] / 50.0)
    np.testing.assert_allclose(enc[nearest], expected / expected.sum(), rtol=1e-5)


def test_soft_encode_on_centre_with_k1_is_one_hot():
    enc = color.soft_encode(color.AB_BINS.astype(np.float32), k=1)
    np.testing.assert_array_equal(enc, np.eye(313, dtype=np.float32))


def test_soft_encode_far_outside_gamut_keeps_k_nonzeros():
    enc = color.soft_encode(np.array([[127.0, 127.0], [-128, -128]], np.float32), k=5)
    assert np.all((enc > 0).sum(-1) == 5)


def _priors():
    rng = np.random.default_rng(4)
    peaked = np.exp(-((color.AB_BINS**2).sum(-1)) / 800.0)
    sparse = np.zeros(313)
    sparse[rng.choice(313, 20, replace=False)] = rng.random(20)
    return {"dirichlet": rng.dirichlet(np.ones(313) * 0.3), "peaked": peaked, "sparse": sparse}


@pytest.mark.parametrize("name", ["dirichlet", "peaked", "sparse"])
def test_rebalance_weights_expectation_is_one(name):
    prior = _priors()[name]
    w = color.rebalance_weights(prior)
    assert w.shape == (313,)
    p = prior / prior.sum()
    assert abs(float(np.sum(p * w)) - 1.0) < 1e-5


def test_rebalance_weights_uniform_prior_gives_ones():
    np.testing.assert_allclose(color.rebalance_weights(np.ones(313)), 1.0, rtol=1e-6)


def test_rebalance_weights_rarer_bins_weigh_more():
    prior = _priors()["peaked"]
    w = color.rebalance_weights(prior, sigma=0.0)
    order = np.argsort(prior)
    # Without smoothing, weight is a strictly decreasing function of probability.
    assert np.all(np.diff(w[order]) <= 1e-6)
    assert w[np.argmin(prior)] > w[np.argmax(prior)]
    smoothed_w = color.rebalance_weights(prior)
    assert smoothed_w[np.argmin(prior)] > smoothed_w[np.argmax(prior)]


def test_rebalance_weights_lambda_one_is_uniform():
    np.testing.assert_allclose(color.rebalance_weights(_priors()["peaked"], lam=1.0), 1.0, rtol=1e-6)


def test_smooth_prior_matches_bruteforce_gaussian():
    prior = _priors()["dirichlet"]
    prior = prior / prior.sum()
    bins = color.AB_BINS.astype(np.float64)
    expected = np.empty(313)
    for i, centre in enumerate(bins):
        g = np.exp(-((bins - centre) ** 2).sum(-1) / (2 * 5.0**2))
        expected[i] = np.sum(g * prior) / g.sum()
    expected /= expected.sum()
    np.testing.assert_allclose(color.smooth_prior(prior, sigma=5.0), expected, rtol=1e-9)
    # Smoothing spreads mass: the smoothed prior is flatter than the raw one.
    assert color.smooth_prior(prior).max() < prior.max()


def test_rebalance_weights_rejects_bad_prior():
    with pytest.raises(ValueError, match="shape"):
        color.rebalance_weights(np.ones(10))
    with pytest.raises(ValueError, match="non-negative"):
        color.rebalance_weights(-np.ones(313))


def test_annealed_mean_small_T_gives_mode():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(313), size=(3, 4))
    mode = rng.integers(0, 313, size=(3, 4))
    np.put_along_axis(probs, mode[..., None], 0.05, axis=-1)  # a clear mode, 5x the rest
    probs = (probs / probs.sum(-1, keepdims=True)).astype(np.float32)
    ab = color.annealed_mean(probs, T=0.01)
    np.testing.assert_allclose(ab, color.AB_BINS[mode], atol=1e-3)


def test_annealed_mean_T1_is_plain_mean():
    rng = np.random.default_rng(6)
    probs = rng.dirichlet(np.ones(313), size=5).astype(np.float32)
    np.testing.assert_allclose(color.annealed_mean(probs, T=1.0), probs @ color.AB_BINS, atol=1e-3)


def test_annealed_mean_default_T_between_mean_and_mode():
    probs = np.full(313, 1e-4, np.float32)
    probs[0], probs[-1] = 0.6, 0.3
    probs /= probs.sum()
    mean_ab = color.annealed_mean(probs, T=1.0)
    annealed = color.annealed_mean(probs, T=0.38)
    mode = color.AB_BINS[0]
    assert np.linalg.norm(annealed - mode) < np.linalg.norm(mean_ab - mode)


def test_annealed_mean_of_soft_encoding_recovers_ab():
    rng = np.random.default_rng(7)
    bins = {tuple(b) for b in color.AB_BINS.tolist()}
    interior = np.array([b for b in bins if all(
        (b[0] + da, b[1] + db) in bins for da in (-10, 0, 10) for db in (-10, 0, 10))])
    ab = (interior[rng.integers(0, len(interior), 200)] + rng.uniform(-5, 5, (200, 2))).astype(np.float32)
    decoded = color.annealed_mean(color.soft_encode(ab, k=5), T=1.0)
    assert np.max(np.abs(decoded - ab)) < 2.0


def test_lab_to_srgb8_inverts_srgb8_to_lab_and_matches_serving():
    from skimage import color, data

    from colordisc_tf.color.srgb8 import lab_to_srgb8, srgb8_to_lab
    from colordisc_tf.serve.inference import lab_to_uint8_rgb

    photo = data.astronaut()[::4, ::4]
    back = lab_to_srgb8(srgb8_to_lab(photo))
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, photo)
    with pytest.raises(ValueError, match=r"need \(\.\.\., 3\) Lab, got shape \(4, 2\)"):
        lab_to_srgb8(np.zeros((4, 2)))
    lab = np.random.default_rng(0).uniform([0, -110, -110], [100, 110, 110], (20000, 3)).astype(np.float32)
    ours = lab_to_srgb8(lab).astype(int)
    assert np.abs(ours - lab_to_uint8_rgb(lab).numpy()).max() <= 1
    with warnings.catch_warnings():  # skimage clips the out-of-gamut ones, with a warning
        warnings.simplefilter("ignore")
        reference = color.lab2rgb(lab.astype(np.float64))
    in_gamut = np.all((reference > 0.02) & (reference < 0.98), axis=-1)
    assert in_gamut.sum() > 1000
    assert np.abs(ours[in_gamut] - np.round(reference[in_gamut] * 255)).max() <= 1
