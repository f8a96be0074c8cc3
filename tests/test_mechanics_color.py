"""The paper's colour mechanics against independent NumPy oracles.

Each test recomputes what Zhang et al. (ECCV 2016) and README/DESIGN.md define,
by hand (explicit loops over the 313 bin centres where that is the definition),
and compares. They are written to fail on deliberate mechanism bugs: smoothing
removed from the prior, a wrong default decode temperature, an unweighted loss,
the NumPy, keras.ops and public paths drifting apart, soft-encoding defaults changed.

Nothing here runs a TensorFlow op at import time (mutmut's fork server imports
this module and forks workers from it; TensorFlow is not fork-safe once used).
"""

import inspect
import math

import numpy as np
import pytest

from colordisc_tf.color import bins as cbins
from colordisc_tf.color import rebalance as crebalance
from colordisc_tf import color

ANNEAL_T = 0.38  # the paper's decode temperature
Q = 313

BINS64 = np.array(color.AB_BINS, dtype=np.float64)


# --------------------------------------------------------------------------- oracles


def oracle_smooth_prior(prior, sigma):
    """Each bin's probability replaced by the Gaussian-weighted average over the
    in-gamut bins (weights normalised per bin), then renormalised. Explicit loops."""
    p = np.asarray(prior, np.float64) / np.sum(prior)
    if sigma <= 0:  # documented: no smoothing
        return p
    smoothed = np.zeros(Q)
    for i in range(Q):
        num = 0.0
        den = 0.0
        for j in range(Q):
            d2 = (BINS64[i, 0] - BINS64[j, 0]) ** 2 + (BINS64[i, 1] - BINS64[j, 1]) ** 2
            g = math.exp(-d2 / (2.0 * sigma * sigma))
            num += g * p[j]
            den += g
        smoothed[i] = num / den
    return smoothed / smoothed.sum()


def oracle_rebalance(prior, lam, sigma):
    """w ∝ ((1 − λ) p̃ + λ / Q)^-1, normalised so that E_p[w] = 1 under the given prior."""
    p = np.asarray(prior, np.float64) / np.sum(prior)
    p_tilde = oracle_smooth_prior(p, sigma)
    w = np.array([1.0 / ((1.0 - lam) * p_tilde[q] + lam / Q) for q in range(Q)])
    return w / sum(p[q] * w[q] for q in range(Q))


def oracle_annealed_mean(probs, T):
    """f_T(z) = exp(log z / T) / Σ exp(log z / T), then E[ab] over the bin centres."""
    z = np.asarray(probs, np.float64)
    logz = np.log(np.maximum(z, 1e-300)) / T
    logz -= logz.max(-1, keepdims=True)
    f = np.exp(logz)
    f /= f.sum(-1, keepdims=True)
    return f @ BINS64


def oracle_d2(ab):
    ab = np.asarray(ab, np.float64)
    return ((ab[..., None, :] - BINS64) ** 2).sum(-1)


def oracle_soft_encode(ab, k, sigma):
    """Gaussian weights of the distances to the k nearest bins, normalised to 1."""
    ab = np.asarray(ab, np.float64)
    flat = ab.reshape(-1, 2)
    out = np.zeros((len(flat), Q))
    for n, point in enumerate(flat):
        d2 = ((BINS64 - point) ** 2).sum(-1)
        nearest = np.argsort(d2, kind="stable")[:k]
        w = np.exp(-(d2[nearest] - d2[nearest].min()) / (2.0 * sigma**2))
        out[n, nearest] = w / w.sum()
    return out.reshape(ab.shape[:-1] + (Q,))


def softmax64(x):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def log_softmax64(x):
    x = np.asarray(x, np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def to_np(x):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(x))


def _peaked_probs(seed, shape=(6,)):
    """Random bin distributions with a few strong modes, so T visibly matters."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.5, size=shape + (Q,))
    return softmax64(logits)


def _well_separated(ab, k, margin=0.1):
    """Points whose nearest bin and k nearest bins are unambiguous (float64 margin)."""
    d2 = np.sort(oracle_d2(ab), axis=-1)
    return (d2[..., 1] - d2[..., 0] > margin) & (d2[..., k] - d2[..., k - 1] > margin)


# --------------------------------------------------------------------------- 1. rebalancing


def _concentrated_prior():
    """Mass on a handful of bins: an interior cluster, a gamut-edge bin, a lone bin."""
    prior = np.zeros(Q)
    pick = {(0, 0): 5.0, (10, 0): 3.0, (0, 10): 2.0, (-90, 50): 1.0, (60, -110): 0.5, (40, 40): 0.25}
    for (a, b), mass in pick.items():
        (idx,) = np.nonzero((color.AB_BINS[:, 0] == a) & (color.AB_BINS[:, 1] == b))
        assert idx.size == 1, (a, b)
        prior[idx[0]] = mass
    return prior


def test_rebalance_weights_default_equals_hand_computation():
    prior = _concentrated_prior()
    expected = oracle_rebalance(prior, lam=0.5, sigma=5.0)
    got = color.rebalance_weights(prior)  # defaults: lam = 0.5, sigma = 5
    assert got.shape == (Q,)
    np.testing.assert_allclose(got, expected, rtol=2e-6)
    # The same function behind both names, and explicit defaults change nothing.
    np.testing.assert_array_equal(crebalance.rebalance_weights(prior), got)
    np.testing.assert_allclose(color.rebalance_weights(prior, lam=0.5, sigma=5.0), got, rtol=1e-7)


def test_rebalance_weights_smoothing_and_lambda_matter():
    """The oracle distinguishes the ingredients: without smoothing, or with another
    λ or σ, the weights are far from the default ones."""
    prior = _concentrated_prior()
    got = color.rebalance_weights(prior)
    p = prior / prior.sum()
    unsmoothed = 1.0 / (0.5 * p + 0.5 / Q)
    unsmoothed /= np.sum(p * unsmoothed)
    assert np.max(np.abs(got / unsmoothed - 1.0)) > 0.1
    for lam, sigma in ((0.4, 5.0), (0.6, 5.0), (0.5, 4.0), (0.5, 6.0)):
        assert np.max(np.abs(got / oracle_rebalance(prior, lam, sigma) - 1.0)) > 1e-3, (lam, sigma)
    # Explicit arguments are honoured too.
    np.testing.assert_allclose(color.rebalance_weights(prior, lam=0.25, sigma=7.5),
                               oracle_rebalance(prior, 0.25, 7.5), rtol=2e-6)
    np.testing.assert_allclose(color.rebalance_weights(prior, lam=1.0), np.ones(Q), rtol=1e-6)


def test_rebalance_weights_without_smoothing_sigma_zero():
    prior = _concentrated_prior()
    p = prior / prior.sum()
    for lam in (0.5, 0.9):
        expected = 1.0 / ((1 - lam) * p + lam / Q)
        expected /= np.sum(p * expected)
        np.testing.assert_allclose(color.rebalance_weights(prior, lam=lam, sigma=0.0), expected, rtol=2e-6)


def test_rebalance_weights_unnormalised_prior_and_dense_prior():
    rng = np.random.default_rng(11)
    dense = rng.dirichlet(np.full(Q, 0.5)) * 1234.0  # counts, not a distribution
    np.testing.assert_allclose(color.rebalance_weights(dense), oracle_rebalance(dense, 0.5, 5.0), rtol=2e-6)
    assert color.rebalance_weights(dense).dtype == np.float32


def test_smooth_prior_defaults_and_edges():
    prior = _concentrated_prior()
    expected = oracle_smooth_prior(prior, 5.0)
    np.testing.assert_allclose(color.smooth_prior(prior), expected, rtol=1e-9)  # default sigma = 5
    np.testing.assert_allclose(color.smooth_prior(prior, sigma=8.0), oracle_smooth_prior(prior, 8.0), rtol=1e-9)
    # A uniform prior stays uniform, including at the gamut's edge (per-bin normalisation).
    np.testing.assert_allclose(color.smooth_prior(np.full(Q, 3.0)), np.full(Q, 1.0 / Q), rtol=1e-9)
    # sigma <= 0: no smoothing, just normalisation.
    np.testing.assert_allclose(color.smooth_prior(prior, sigma=0.0), prior / prior.sum(), rtol=1e-12)
    np.testing.assert_allclose(color.smooth_prior(prior, sigma=-1.0), prior / prior.sum(), rtol=1e-12)
    # any positive sigma smooths: at sigma = 1 the neighbours 10 ab units away get e^-50 of the mass
    tiny = color.smooth_prior(prior, sigma=1.0)
    np.testing.assert_allclose(tiny, oracle_smooth_prior(prior, 1.0), rtol=1e-9, atol=0)
    assert np.count_nonzero(tiny) > np.count_nonzero(prior)
    # the arithmetic is float64 whatever the input dtype
    p32 = (prior / prior.sum()).astype(np.float32)
    for sigma in (0.0, 5.0):
        got = color.smooth_prior(p32, sigma=sigma)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, oracle_smooth_prior(p32.astype(np.float64), sigma), rtol=1e-12)

def test_rebalance_and_smooth_reject_bad_input():
    good = _concentrated_prior()
    for lam in (0.0, -0.1, 1.01):
        with pytest.raises(ValueError, match=r"^lam must be in \(0, 1\], got "):
            color.rebalance_weights(good, lam=lam)
    color.rebalance_weights(good, lam=1.0)  # the closed end is allowed
    bad = {"shape": np.ones(312), "nan": np.where(np.arange(Q) == 3, np.nan, 1.0),
           "inf": np.where(np.arange(Q) == 3, np.inf, 1.0), "zeros": np.zeros(Q),
           "negative": np.where(np.arange(Q) == 3, -1e-9, 1.0)}
    with pytest.raises(ValueError, match=r"^prior must have shape \(313,\), got \(312,\)$"):
        color.rebalance_weights(bad.pop("shape"))
    for name, prior in bad.items():
        with pytest.raises(ValueError, match="^prior must be finite, non-negative and not all zero$"):
            color.smooth_prior(prior)
        with pytest.raises(ValueError, match="^prior must be finite, non-negative and not all zero$"):
            color.rebalance_weights(prior)
    # A prior with some zero bins is fine (only all-zero is rejected).
    sparse = np.zeros(Q)
    sparse[7] = 1.0
    assert np.isfinite(color.rebalance_weights(sparse)).all()


# --------------------------------------------------------------------------- bins helpers


def test_count_bins_and_nearest_bin_table_against_bruteforce():
    rng = np.random.default_rng(12)
    ab = rng.integers(-128, 128, size=(7, 9, 2)).astype(np.int8)
    ab[0, 0] = (-128, -128)
    ab[0, 1] = (127, 127)
    ab[0, 2] = (127, -128)
    expected_idx = oracle_d2(ab.astype(np.float64)).argmin(-1)
    np.testing.assert_array_equal(cbins.count_bins(ab), np.bincount(expected_idx.ravel(), minlength=Q))
    table = cbins.nearest_bin_table()
    assert table.shape == (256, 256)
    a, b = ab[..., 0].astype(int) + 128, ab[..., 1].astype(int) + 128
    np.testing.assert_array_equal(table[a, b], expected_idx)
    # Every bin centre maps onto itself.
    centres = color.AB_BINS + 128
    np.testing.assert_array_equal(table[centres[:, 0], centres[:, 1]], np.arange(Q))
    assert cbins.count_bins(ab).sum() == ab.shape[0] * ab.shape[1]
    assert cbins.count_bins(ab).shape == (Q,)
    assert cbins.count_bins(ab).dtype == np.int64


# --------------------------------------------------------------------------- 2. decode temperature


def test_annealed_mean_default_is_T_038():
    probs = _peaked_probs(20).astype(np.float32)
    got = color.annealed_mean(probs)  # default T
    np.testing.assert_allclose(got, oracle_annealed_mean(probs, ANNEAL_T), atol=2e-3)
    # The oracle tells T = 0.38 from its neighbours and from the plain mean.
    for other in (1.0, 0.37, 0.39, 0.5):
        assert np.max(np.abs(got - oracle_annealed_mean(probs, other))) > 0.05, other
    assert color.ANNEAL_T == ANNEAL_T
    np.testing.assert_allclose(color.annealed_mean(probs, T=1.0), oracle_annealed_mean(probs, 1.0), atol=2e-3)
    with pytest.raises(ValueError, match="T must be positive"):
        color.annealed_mean(probs, T=0.0)


def test_annealed_mean_with_zero_probabilities():
    probs = np.zeros((2, Q), np.float32)
    probs[0, [3, 100]] = (0.7, 0.3)
    probs[1, 200] = 1.0
    np.testing.assert_allclose(color.annealed_mean(probs), oracle_annealed_mean(probs, ANNEAL_T), atol=1e-3)
    np.testing.assert_allclose(color.annealed_mean(probs)[1], color.AB_BINS[200], atol=1e-3)


def test_ops_annealed_mean_from_logits_and_from_probs():
    from colordisc_tf.color import keras_ops as cops

    probs = _peaked_probs(21)
    logits = np.log(probs).astype(np.float32) + 3.0  # any shift: softmax(logits) == probs
    expected = oracle_annealed_mean(probs, ANNEAL_T)
    np.testing.assert_allclose(to_np(cops.annealed_mean(logits, ANNEAL_T)), expected, atol=2e-3)  # from_logits default
    np.testing.assert_allclose(to_np(cops.annealed_mean(probs.astype(np.float32), ANNEAL_T, from_logits=False)),
                               expected, atol=2e-3)
    for other in (1.0, 0.37, 0.39):
        assert np.max(np.abs(to_np(cops.annealed_mean(logits, ANNEAL_T)) - oracle_annealed_mean(probs, other))) > 0.05


def test_the_one_decoding_value_defaults_to_the_paper():
    """Decoding is the one place the decode defaults live: the generator config's fields take
    theirs from it, and what a config-less generator is decoded with is Decoding()."""
    import dataclasses

    from colordisc_tf import config
    from colordisc_tf.color.decoding import Decoding

    assert Decoding() == Decoding(temperature=ANNEAL_T, head="classification")
    assert config.GeneratorConfig().decoding == Decoding()
    assert config.GeneratorConfig(temperature=0.5, head="l2").decoding == Decoding(0.5, "l2")
    found = {name: {f.name: f.default for f in dataclasses.fields(cls)}
             for name, cls in vars(config).items()
             if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == config.__name__}
    holders = {name for name, fields in found.items() if {"temperature", "head"} & set(fields)}
    assert holders == {"GeneratorConfig"}, holders  # fine-tuning and evaluation take the generator's
    with pytest.raises(ValueError, match=r"^temperature must be > 0, got 0\.0$"):
        Decoding(temperature=0.0)
    with pytest.raises(ValueError, match=r"^head must be one of \('classification', 'l2'\), got 'softmax'$"):
        Decoding(head="softmax")
    assert Decoding().anneals and not Decoding(head="l2").anneals


def test_each_head_trains_with_its_own_loss():
    """colorizer_loss: what the generator trainer and the fine-tuning's anchor compile."""
    from colordisc_tf.train.losses import L2AbLoss, RebalancedCrossEntropy, colorizer_loss

    loss = colorizer_loss("classification", 7, 3.0, np.ones(Q, np.float32))
    assert isinstance(loss, RebalancedCrossEntropy) and (loss.k, loss.sigma) == (7, 3.0)
    np.testing.assert_array_equal(loss.class_weights, np.ones(Q, np.float32))
    assert colorizer_loss("classification", 5, 5.0).class_weights is None
    assert isinstance(colorizer_loss("l2", 5, 5.0), L2AbLoss)


# Modules whose callables decode a generator's output: none may hide a decode default.
_DECODING_MODULES = ("color.keras_ops", "color.decode_layer", "serve.inference", "serve.export",
                     "serve.bulk_colorize", "serve.guided_decode", "train.callbacks", "evaluate.before_after",
                     "train.finetune")
# Among them, these must take a decoding (guards the discovery below against finding nothing).
_EXPECTED_DECODING_PARAMS = {"color.keras_ops.decode_ab", "color.decode_layer.DecodeAb", "serve.inference.predict_ab",
                             "evaluate.before_after.score_generator", "train.finetune.build_adversarial",
                             "serve.export.export_generator", "serve.bulk_colorize.colorize_records"}


def _decoding_params():
    """{module.callable: parameter} of every `decoding` / `temperature` / `head` / `T` parameter."""
    import importlib

    found = {}
    for mod_name in _DECODING_MODULES:
        module = importlib.import_module(f"colordisc_tf.{mod_name}")
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__ or name.startswith("_"):
                continue
            fn = obj.__init__ if isinstance(obj, type) else obj
            if not callable(fn):
                continue
            try:
                params = inspect.signature(fn).parameters
            except (TypeError, ValueError):
                continue
            for param in ("decoding", "temperature", "head", "T"):
                if param in params:
                    found[f"{mod_name}.{name}"] = params[param]
    return found


def test_no_consumer_of_a_generator_hides_a_decode_default():
    found = _decoding_params()
    assert _EXPECTED_DECODING_PARAMS <= set(found), sorted(found)
    defaulted = {name: p.default for name, p in found.items() if p.default is not inspect.Parameter.empty}
    assert not defaulted, f"decode defaults outside Decoding: {defaulted}"
    loose = {name: p.name for name, p in found.items() if p.name in ("temperature", "head")}
    assert not loose, f"decode settings passed loose instead of one Decoding: {loose}"


class _FixedLogitsModel:
    """A stand-in generator: returns fixed logits whatever the L input."""

    def __init__(self, logits):
        self.logits = np.asarray(logits, np.float32)

    def __call__(self, l_batch, training=False):
        import tensorflow as tf

        batch = int(l_batch.shape[0])
        return tf.constant(np.repeat(self.logits[None], batch, axis=0))


def test_inference_and_the_finetune_layer_decode_the_same_at_038_by_default():
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.color.decode_layer import DecodeAb
    from colordisc_tf.serve import inference

    probs = _peaked_probs(22, shape=(2, 2))
    logits = np.log(probs).astype(np.float32)
    expected = oracle_annealed_mean(probs, ANNEAL_T)  # (2, 2, 2)
    # predict_ab at the logits' own size: the bilinear resize is the identity.
    ab = inference.predict_ab(_FixedLogitsModel(logits), np.zeros((1, 2, 2, 1), np.float32), Decoding()).numpy()
    np.testing.assert_allclose(ab[0], expected, atol=2e-3)
    layer_ab = to_np(DecodeAb(Decoding(), factor=1)(logits[None]))
    np.testing.assert_allclose(layer_ab[0], expected, atol=2e-3)
    assert np.max(np.abs(ab[0] - oracle_annealed_mean(probs, 1.0))) > 0.05
    # the fine-tuning's layer upsamples x4 exactly as serving's decode resizes to 4x the size
    served = inference.predict_ab(_FixedLogitsModel(logits), np.zeros((1, 8, 8, 1), np.float32), Decoding(0.6)).numpy()
    np.testing.assert_allclose(to_np(DecodeAb(Decoding(0.6))(logits[None])), served, atol=1e-4)


def test_score_generator_decodes_per_the_default_decoding_at_038(tmp_path):
    import tensorflow as tf

    from colordisc_tf.evaluate.before_after import score_generator
    from colordisc_tf.data.record_format import encode_lab_example

    rng = np.random.default_rng(23)
    lab = np.concatenate([rng.uniform(20, 80, (4, 4, 1)), rng.uniform(-40, 40, (4, 4, 2))], -1)
    path = tmp_path / "Split-eval" / "data.gz"
    path.parent.mkdir()
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        writer.write(encode_lab_example(lab, "img0", "/x.png", 4, 4))
    probs = _peaked_probs(24, shape=(4, 4))
    discriminator = lambda lab_batch, training=False: tf.zeros((int(lab_batch.shape[0]), 1, 1, 1))  # noqa: E731
    from colordisc_tf.color.decoding import Decoding

    result, per_image = score_generator(_FixedLogitsModel(np.log(probs)), str(path.parent / "*"), {"fixed": discriminator},
                                        Decoding())
    assert result["images"] == 1
    np.testing.assert_allclose(per_image["img0"][1][..., 1:], oracle_annealed_mean(probs, ANNEAL_T), atol=2e-3)


# --------------------------------------------------------------------------- 3. ops == color (== oracle)


def _random_ab(seed, n=600):
    rng = np.random.default_rng(seed)
    inside = rng.uniform(-100, 100, size=(n, 2))
    outside = rng.uniform(-128, 127, size=(n // 4, 2))
    return np.concatenate([inside, outside]).astype(np.float32)


def test_squared_distances_agree():
    from colordisc_tf.color import keras_ops as cops

    ab = _random_ab(30, 50)
    expected = oracle_d2(ab)
    np.testing.assert_allclose(to_np(cops._squared_distances(ab)), expected, rtol=1e-5, atol=5e-2)


def test_nearest_bin_agrees_with_oracle_on_both_backends_and_numpy():
    from colordisc_tf.color import keras_ops as cops

    ab = _random_ab(31).reshape(-1, 5, 2)
    d2 = oracle_d2(ab)
    expected = d2.argmin(-1)
    clear = np.sort(d2, -1)[..., 1] - np.sort(d2, -1)[..., 0] > 0.1
    assert clear.mean() > 0.95
    for got in (color.nearest_bin(ab), to_np(cops.nearest_bin(ab)), cbins.nearest_bin(ab, chunk=7)):
        assert got.shape == ab.shape[:-1]
        np.testing.assert_array_equal(got[clear], expected[clear])
        # ambiguous points: whichever bin is chosen is (one of) the nearest
        chosen_d2 = np.take_along_axis(d2, got[..., None].astype(np.int64), -1)[..., 0]
        assert np.all(chosen_d2 - d2.min(-1) < 0.1)
    np.testing.assert_array_equal(to_np(cops.nearest_bin(color.AB_BINS.astype(np.float32))), np.arange(Q))
    assert to_np(cops.nearest_bin(ab)).dtype == np.int32


@pytest.mark.parametrize("k,sigma", [(5, 5.0), (1, 5.0), (10, 5.0), (5, 2.0), (5, 12.0)])
def test_soft_encode_agrees_with_oracle_on_both_backends(k, sigma):
    from colordisc_tf.color import keras_ops as cops

    ab = _random_ab(32, 300)
    ab = ab[_well_separated(ab, k)]
    expected = oracle_soft_encode(ab, k, sigma)
    ours = color.soft_encode(ab, k=k, sigma=sigma)
    theirs = to_np(cops.soft_encode(ab, k=k, sigma=sigma))
    # float32 distances: ~1e-5 absolute error on weights in [0, 1]
    np.testing.assert_allclose(ours, expected, atol=5e-5)
    np.testing.assert_allclose(theirs, expected, atol=5e-5)
    np.testing.assert_allclose(theirs, ours, atol=5e-5)


def test_soft_encode_defaults_k5_sigma5_on_both_backends():
    from colordisc_tf.color import keras_ops as cops

    ab = _random_ab(33, 200).reshape(-1, 2)
    ab = ab[_well_separated(ab, 5)]
    expected = oracle_soft_encode(ab, 5, 5.0)
    for got in (color.soft_encode(ab), to_np(cops.soft_encode(ab))):
        assert got.shape == ab.shape[:-1] + (Q,)
        np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)
        assert np.all((got > 0).sum(-1) == 5)
        np.testing.assert_allclose(got, expected, atol=5e-5)
    # sigma matters: the default is not 4 or 6
    for sigma in (4.0, 6.0):
        assert np.max(np.abs(color.soft_encode(ab) - oracle_soft_encode(ab, 5, sigma))) > 1e-3
    # a point between two bins splits its weight evenly between them
    mid = np.array([[5.0, 0.0]], np.float32)
    for got in (color.soft_encode(mid)[0], to_np(cops.soft_encode(mid))[0]):
        i0 = int(np.nonzero((color.AB_BINS == (0, 0)).all(-1))[0][0])
        i1 = int(np.nonzero((color.AB_BINS == (10, 0)).all(-1))[0][0])
        assert got[i0] == pytest.approx(got[i1], abs=1e-6)
        assert got[i0] > 0.2


def test_soft_encode_keeps_far_out_of_gamut_points():
    from colordisc_tf.color import keras_ops as cops

    far = np.array([[127.0, 127.0], [-128.0, -128.0], [127.0, -128.0]], np.float32)
    expected = oracle_soft_encode(far, 5, 5.0)
    for got in (color.soft_encode(far), to_np(cops.soft_encode(far))):
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(got, expected, atol=1e-4)


def test_soft_encode_argument_checks():
    ab = np.zeros((2, 2), np.float32)
    for k in (0, Q + 1):
        with pytest.raises(ValueError, match="k must be"):
            color.soft_encode(ab, k=k)
    full = color.soft_encode(ab, k=Q)  # k = Q is allowed (far bins underflow to 0 in float32)
    np.testing.assert_allclose(full.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(full, oracle_soft_encode(ab, Q, 5.0), atol=5e-5)
    for sigma in (0.0, -1.0):
        with pytest.raises(ValueError, match="sigma must be positive"):
            color.soft_encode(ab, sigma=sigma)


def test_annealed_mean_agrees_on_both_backends():
    from colordisc_tf.color import keras_ops as cops

    for T in (ANNEAL_T, 1.0, 0.1, 2.0):
        probs = _peaked_probs(34, shape=(3, 4))
        logits = np.log(probs).astype(np.float32)
        expected = oracle_annealed_mean(probs, T)
        ours = color.annealed_mean(probs.astype(np.float32), T=T)
        from_logits = to_np(cops.annealed_mean(logits, T))
        from_probs = to_np(cops.annealed_mean(probs.astype(np.float32), T, from_logits=False))
        for got in (ours, from_logits, from_probs):
            assert got.shape == (3, 4, 2)
            np.testing.assert_allclose(got, expected, atol=2e-3)
        np.testing.assert_allclose(from_logits, ours, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(from_probs, ours, rtol=1e-5, atol=1e-4)


def test_ops_annealed_mean_from_logits_normalises_and_clamps():
    from colordisc_tf.color import keras_ops as cops

    probs = _peaked_probs(35)
    # Logits that are not log-probabilities: the decode must normalise them first.
    logits = (np.log(probs) * 1.0 + 7.5).astype(np.float32)
    np.testing.assert_allclose(to_np(cops.annealed_mean(logits, ANNEAL_T)), oracle_annealed_mean(probs, ANNEAL_T), atol=2e-3)
    # Probabilities with exact zeros (log clamped, no NaN), from_logits=False.
    sparse = np.zeros((1, Q), np.float32)
    sparse[0, [10, 20]] = (0.6, 0.4)
    got = to_np(cops.annealed_mean(sparse, ANNEAL_T, from_logits=False))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, oracle_annealed_mean(sparse, ANNEAL_T), atol=1e-3)


def test_ops_downsample_ab_is_area_mean():
    from colordisc_tf.color import keras_ops as cops

    rng = np.random.default_rng(36)
    ab = rng.uniform(-50, 50, size=(2, 8, 12, 2)).astype(np.float32)
    expected = ab.reshape(2, 2, 4, 3, 4, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(to_np(cops.downsample_ab(ab)), expected, atol=1e-4)  # default factor 4
    expected2 = ab.reshape(2, 4, 2, 6, 2, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(to_np(cops.downsample_ab(ab, 2)), expected2, atol=1e-4)


# --------------------------------------------------------------------------- 4. the rebalanced loss


def _bin_index(a, b):
    return int(np.nonzero((color.AB_BINS[:, 0] == a) & (color.AB_BINS[:, 1] == b))[0][0])


RARE = (60, -70)  # a saturated colour; the pixel's ab lies off-centre near it
RARE_AB = (62.0, -71.5)


def _rare_weights(rare_weight=10.0):
    w = np.ones(Q, np.float32)
    w[_bin_index(*RARE)] = rare_weight
    return w


def _oracle_loss(ab_true, logits, weights, k=5, sigma=5.0, gray_threshold=5.0):
    """-1/N Σ_pixels v · Σ_q Z_q log softmax(logits)_q, with Z the soft-encoded
    area-mean ab at the logits' grid, v = w[argmax Z] · [image has chroma]."""
    ab_true = np.asarray(ab_true, np.float64)
    b, h, w = np.asarray(logits).shape[:3]
    f = ab_true.shape[1] // h
    small = ab_true.reshape(b, h, f, w, f, 2).mean(axis=(2, 4))
    target = oracle_soft_encode(small, k, sigma)
    ce = -(target * log_softmax64(logits)).sum(-1)
    pixel_w = np.ones_like(ce) if weights is None else np.asarray(weights, np.float64)[target.argmax(-1)]
    chroma = (np.abs(ab_true).max(axis=(1, 2, 3)) > gray_threshold).astype(np.float64)
    return float(np.mean(pixel_w * chroma[:, None, None] * ce))


def test_loss_on_one_rare_pixel_is_weight_times_cross_entropy():
    from colordisc_tf.train.losses import rebalanced_cross_entropy

    rng = np.random.default_rng(40)
    ab_true = np.tile(np.array(RARE_AB, np.float32), (1, 4, 4, 1))
    logits = rng.normal(0, 1, size=(1, 1, 1, Q)).astype(np.float32)
    # hand computation of the unweighted cross entropy of this pixel
    target = oracle_soft_encode(np.array(RARE_AB), 5, 5.0)
    assert target.argmax() == _bin_index(*RARE) and (target > 0).sum() == 5
    ce = float(-(target * log_softmax64(logits[0, 0, 0])).sum())
    unweighted = float(to_np(rebalanced_cross_entropy(ab_true, logits)))
    weighted = float(to_np(rebalanced_cross_entropy(ab_true, logits, _rare_weights(10.0))))
    assert unweighted == pytest.approx(ce, rel=1e-5)
    assert weighted == pytest.approx(10.0 * ce, rel=1e-5)
    # pixel weight is w[argmax], not the soft target's weighted average of w
    soft_weight = float(target @ _rare_weights(10.0))
    assert abs(soft_weight - 10.0) > 0.5


def test_loss_weights_each_pixel_by_its_argmax_bin():
    from colordisc_tf.train.losses import RebalancedCrossEntropy, rebalanced_cross_entropy

    rng = np.random.default_rng(41)
    # 2 images, 8x8 ab -> 2x2 logits grid; each 4x4 block one colour, some of them the rare one
    colours = np.array([[RARE_AB, (-20.3, 31.0)], [(3.0, 44.0), RARE_AB]], np.float32)
    img = np.repeat(np.repeat(colours, 4, axis=0), 4, axis=1)
    ab_true = np.stack([img, img[::-1] + rng.uniform(-1, 1, img.shape).astype(np.float32)])
    logits = rng.normal(0, 2, size=(2, 2, 2, Q)).astype(np.float32)
    w = _rare_weights(10.0)
    w[_bin_index(0, 40)] = 0.25
    expected = _oracle_loss(ab_true, logits, w)
    assert float(to_np(rebalanced_cross_entropy(ab_true, logits, w))) == pytest.approx(expected, rel=1e-5)
    assert float(to_np(rebalanced_cross_entropy(ab_true, logits))) == pytest.approx(
        _oracle_loss(ab_true, logits, None), rel=1e-5)
    loss = RebalancedCrossEntropy(weights=w)
    assert float(to_np(loss(ab_true, logits))) == pytest.approx(expected, rel=1e-5)
    # the config round-trip keeps the weights (a reloaded model trains with the same loss)
    config = loss.get_config()
    assert config["k"] == 5 and config["sigma"] == 5.0 and config["gray_threshold"] == 5.0
    again = RebalancedCrossEntropy.from_config(config)
    np.testing.assert_array_equal(again.class_weights, w)
    assert float(to_np(again(ab_true, logits))) == pytest.approx(expected, rel=1e-5)
    unweighted = RebalancedCrossEntropy()
    assert unweighted.class_weights is None and unweighted.get_config()["weights"] is None
    assert float(to_np(unweighted(ab_true, logits))) == pytest.approx(_oracle_loss(ab_true, logits, None), rel=1e-5)


def test_loss_k_sigma_and_gray_threshold_are_used():
    from colordisc_tf.train.losses import RebalancedCrossEntropy, chroma_mask, rebalanced_cross_entropy

    rng = np.random.default_rng(42)
    ab_true = rng.uniform(-60, 60, size=(3, 8, 8, 2)).astype(np.float32)
    ab_true[1] = rng.uniform(-5, 5, size=(8, 8, 2))  # gray: every |a|, |b| <= 5
    ab_true[1, 0, 0] = (5.0, -5.0)  # exactly at the threshold: still gray
    logits = rng.normal(0, 1, size=(3, 2, 2, Q)).astype(np.float32)
    w = rng.uniform(0.2, 5.0, size=Q).astype(np.float32)
    np.testing.assert_array_equal(to_np(chroma_mask(ab_true)), [1.0, 0.0, 1.0])
    just_over = ab_true.copy()
    just_over[1, 0, 0] = (5.01, 0.0)
    np.testing.assert_array_equal(to_np(chroma_mask(just_over)), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(to_np(chroma_mask(ab_true, gray_threshold=100.0)), [0.0, 0.0, 0.0])
    for kwargs in ({}, {"k": 10}, {"sigma": 8.0}, {"gray_threshold": 1.0}, {"k": 1, "sigma": 2.0}):
        expected = _oracle_loss(ab_true, logits, w, **kwargs)
        got = float(to_np(rebalanced_cross_entropy(ab_true, logits, w, **kwargs)))
        assert got == pytest.approx(expected, rel=1e-5), kwargs
        got = float(to_np(RebalancedCrossEntropy(weights=w, **kwargs)(ab_true, logits)))
        assert got == pytest.approx(expected, rel=1e-5), kwargs
    # a gray image contributes nothing but still counts in the mean
    only_gray = float(to_np(rebalanced_cross_entropy(ab_true[1:2], logits[1:2], w)))
    assert only_gray == 0.0


def test_loss_grid_factor_and_non_square_images():
    from colordisc_tf.train.losses import rebalanced_cross_entropy

    rng = np.random.default_rng(45)
    w = rng.uniform(0.2, 5.0, size=Q).astype(np.float32)
    # 2x (not the default 4x) grid; and 8x12 images on a 2x3 grid (factor from the heights)
    for ab_shape, logits_shape in (((2, 4, 6, 2), (2, 2, 3, Q)), ((1, 8, 12, 2), (1, 2, 3, Q)),
                                   ((1, 12, 8, 2), (1, 3, 2, Q))):
        ab_true = rng.uniform(-60, 60, size=ab_shape).astype(np.float32)
        logits = rng.normal(0, 1, size=logits_shape).astype(np.float32)
        got = float(to_np(rebalanced_cross_entropy(ab_true, logits, w)))
        assert got == pytest.approx(_oracle_loss(ab_true, logits, w), rel=1e-5), ab_shape


def test_loss_default_gray_threshold_is_5():
    from colordisc_tf.train.losses import RebalancedCrossEntropy, chroma_mask, rebalanced_cross_entropy

    rng = np.random.default_rng(46)
    ab_true = rng.uniform(-4, 4, size=(2, 4, 4, 2)).astype(np.float32)
    ab_true[0, 1, 2] = (-5.5, 0.0)  # just over 5: has chroma
    logits = rng.normal(0, 1, size=(2, 1, 1, Q)).astype(np.float32)
    np.testing.assert_array_equal(to_np(chroma_mask(ab_true)), [1.0, 0.0])
    expected = _oracle_loss(ab_true, logits, None, gray_threshold=5.0)
    assert expected > 0
    assert float(to_np(rebalanced_cross_entropy(ab_true, logits))) == pytest.approx(expected, rel=1e-5)
    assert float(to_np(RebalancedCrossEntropy()(ab_true, logits))) == pytest.approx(expected, rel=1e-5)


def test_loss_class_weights_must_be_313():
    from colordisc_tf.train.losses import RebalancedCrossEntropy

    with pytest.raises(ValueError):
        RebalancedCrossEntropy(weights=np.ones(312))
    flat = RebalancedCrossEntropy(weights=np.arange(Q, dtype=np.float64).reshape(1, Q)).class_weights
    assert flat.shape == (Q,) and flat.dtype == np.float32


def test_l2_loss_against_numpy():
    from colordisc_tf.train.losses import L2AbLoss

    rng = np.random.default_rng(43)
    # non-square, and a 2x (not the default 4x) grid: the factor comes from the heights
    ab_true = rng.uniform(-80, 80, size=(2, 8, 12, 2)).astype(np.float32)
    for pred_shape, f in (((2, 2, 3, 2), 4), ((2, 4, 6, 2), 2)):
        pred = rng.normal(0, 0.3, size=pred_shape).astype(np.float32)
        h, w = pred_shape[1:3]
        small = ab_true.reshape(2, h, f, w, f, 2).mean(axis=(2, 4)) / 110.0
        expected = float(np.mean((pred - small) ** 2))
        assert float(to_np(L2AbLoss()(ab_true, pred))) == pytest.approx(expected, rel=1e-5)
    assert L2AbLoss().name == "l2_ab"


def test_loss_objects_pass_keras_options_through():
    from colordisc_tf.train.losses import L2AbLoss, RebalancedCrossEntropy

    for loss in (L2AbLoss(reduction="sum", dtype="float32"), RebalancedCrossEntropy(reduction="sum", dtype="float32")):
        assert loss.reduction == "sum"
        again = type(loss).from_config(loss.get_config())
        assert again.reduction == "sum" and again.name == loss.name
    assert RebalancedCrossEntropy().name == "rebalanced_ce"
    assert RebalancedCrossEntropy(name="x").name == "x"


def _oracle_auc(err, weights, max_t=150):
    acc = [np.sum(weights * (err <= t)) / np.sum(weights) for t in range(max_t + 1)]
    return 100 * sum((acc[t] + acc[t + 1]) / 2 for t in range(max_t)) / max_t


def test_auc_rebalanced_weights_pixels_by_inverse_prior_of_true_bin():
    from colordisc_tf import metrics

    rng = np.random.default_rng(44)
    ab_true = rng.uniform(-60, 60, size=(3, 6, 6, 2))
    ab_pred = ab_true + rng.normal(0, 25, size=ab_true.shape)
    true_bins = oracle_d2(ab_true).argmin(-1)
    counts = np.bincount(true_bins.ravel(), minlength=Q) * 7 + 1  # integer counts, no zeros ...
    counts[true_bins[0, 0, :3]] = 0  # ... but some bins that true pixels fall into are absent
    inverse = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    err = np.linalg.norm(ab_pred - ab_true, axis=-1).ravel()
    expected = _oracle_auc(err, inverse[true_bins].ravel())
    assert metrics.auc_rebalanced(ab_pred, ab_true, counts) == pytest.approx(expected, abs=1e-9)
    assert metrics.auc_rebalanced(ab_pred, ab_true, counts.astype(np.float64) / counts.sum()) == pytest.approx(
        expected, abs=1e-9)
    assert metrics.auc_rebalanced(ab_pred, ab_true, counts, max_threshold=50) == pytest.approx(
        _oracle_auc(err, inverse[true_bins].ravel(), 50), abs=1e-9)


def test_accuracy_curve_defaults_and_input_checks():
    from colordisc_tf import metrics

    rng = np.random.default_rng(47)
    true = rng.uniform(-60, 60, size=(5, 2))
    pred = true + rng.normal(0, 40, size=true.shape)
    thresholds, acc = metrics.accuracy_curve(pred, true)
    np.testing.assert_array_equal(thresholds, np.arange(151))  # t = 0..150
    err = np.linalg.norm(pred - true, axis=-1)
    np.testing.assert_allclose(acc, [(err <= t).mean() for t in range(151)])
    # one pixel, and weights summing to less than 1, are fine
    one = metrics.auc_raw_accuracy(pred[:1], true[:1])
    assert one == pytest.approx(_oracle_auc(err[:1], np.ones(1)), abs=1e-9)
    small_w = np.full(5, 0.05)
    assert metrics.auc_raw_accuracy(pred, true, weights=small_w) == pytest.approx(_oracle_auc(err, small_w), abs=1e-9)
    shape_msg = r"^ab_pred and ab_true must share a \(\.\.\., 2\) shape, got \(5, 2\) and \(4, 2\)$"
    with pytest.raises(ValueError, match=shape_msg):
        metrics.auc_raw_accuracy(pred, true[:4])
    with pytest.raises(ValueError, match="must share a"):
        metrics.auc_raw_accuracy(np.zeros((4, 3)), np.zeros((4, 3)))  # same shape, but not ab
    for weights in (np.zeros(5), -np.ones(5)):
        with pytest.raises(ValueError, match="^need at least one pixel with positive weight$"):
            metrics.auc_raw_accuracy(pred, true, weights=weights)
    with pytest.raises(ValueError, match="^need at least one pixel with positive weight$"):
        metrics.auc_raw_accuracy(np.zeros((0, 2)), np.zeros((0, 2)))


def test_colorfulness_and_psnr_input_checks():
    import warnings

    from colordisc_tf import metrics

    for bad in (np.zeros((4, 4, 4)), np.zeros((4, 3)), np.zeros((2, 4, 4, 2), np.uint8)):
        with pytest.raises(ValueError, match=r"^rgb must be \(\.\.\., H, W, 3\), got shape "):
            metrics.colorfulness(bad)
    rgb = np.random.default_rng(48).integers(0, 256, size=(6, 5, 3)).astype(np.uint8)
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    expected = np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    assert metrics.colorfulness(rgb) == pytest.approx(expected)
    assert metrics.colorfulness(rgb / 255.0) == pytest.approx(expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # identical images: +inf, silently
        assert np.isinf(metrics.psnr(rgb, rgb))


# --------------------------------------------------------------------------- colour conversion helpers


def test_check_last_axis():
    with pytest.raises(ValueError, match="ab must have last axis 2"):
        color.nearest_bin(np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="probs must have last axis 313"):
        color.annealed_mean(np.zeros((3, 312), np.float32))
    with pytest.raises(ValueError, match="lab must have last axis 3"):
        color.lab_to_rgb(np.zeros((3, 2), np.float32))
    # rank-1 inputs are checked too (a single colour)
    with pytest.raises(ValueError, match=r"^ab must have last axis 2, got shape \(3,\)$"):
        color.nearest_bin(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="rgb must have last axis 3"):
        color.rgb_to_lab(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="probs must have last axis 313"):
        color.annealed_mean(np.full(312, 1 / 312, np.float32))
    assert color.nearest_bin(np.array([10.0, 0.0], np.float32)) == _bin_index(10, 0)


def test_numpy_in_numpy_out_and_tensor_in_tensor_out():
    import tensorflow as tf

    ab = np.array([[0.0, 0.0], [12.0, -3.0]])  # float64 list-like in
    out = color.nearest_bin(ab.tolist())
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, oracle_d2(ab).argmin(-1))
    t = color.nearest_bin(tf.constant(ab, tf.float32))
    assert isinstance(t, tf.Tensor)
    v = color.soft_encode(tf.Variable(ab, dtype=tf.float32))
    assert isinstance(v, tf.Tensor)


def test_srgb8_to_lab_numpy_twin_matches_skimage():
    from skimage.color import rgb2lab

    from colordisc_tf.color.srgb8 import srgb8_to_lab

    rng = np.random.default_rng(50)
    rgb = rng.integers(0, 256, size=(40, 30, 3)).astype(np.uint8)
    rgb[0, :8] = [[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)]
    rgb[1, :6] = [[1, 1, 1], [2, 5, 9], [10, 10, 10], [11, 11, 11], [254, 254, 254], [128, 64, 32]]  # near the knees
    lab = srgb8_to_lab(rgb)
    assert lab.dtype == np.float32 and lab.shape == rgb.shape
    np.testing.assert_allclose(lab, rgb2lab(rgb.astype(np.float64) / 255.0), atol=0.02)
    np.testing.assert_allclose(srgb8_to_lab(rgb[:1]), lab[:1], atol=1e-5)
    for bad in (rgb.astype(np.float32), rgb[..., :2]):
        with pytest.raises(ValueError, match="uint8"):
            srgb8_to_lab(bad)
