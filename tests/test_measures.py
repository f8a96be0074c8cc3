"""The one measuring path (colordisc_tf.evaluate.measures): SSIM against a NumPy re-computation of
Wang et al.'s formula, the per-image AuC against metrics on the image's pixels, evaluate's rows and
before/after's columns giving the same set numbers, and a metric added by one function and one
registration reaching the summary, the paired differences and the reports' rows."""

import dataclasses

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from colordisc_tf import metrics
from colordisc_tf.evaluate import measures
from colordisc_tf.evaluate.measures import Images, measure_images
from colordisc_tf.evaluate.per_image import measure
from colordisc_tf.evaluate.summary import summarize


def _ssim_oracle(a, b, window=7, data_range=255.0):
    """Wang et al. 2004 with uniform windows and sample (co)variances, per channel, averaged over the
    windows that fit (scikit-image's defaults), written out in NumPy."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    values = []
    for ch in range(a.shape[-1]):
        x = sliding_window_view(a[..., ch].astype(np.float64), (window, window)).reshape(-1, window * window)
        y = sliding_window_view(b[..., ch].astype(np.float64), (window, window)).reshape(-1, window * window)
        mx, my = x.mean(1), y.mean(1)
        vx, vy = x.var(1, ddof=1), y.var(1, ddof=1)
        cov = ((x - mx[:, None]) * (y - my[:, None])).sum(1) / (window * window - 1)
        s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
        values.append(s.mean())
    return float(np.mean(values))


def _images(seed, n=5, side=20):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 256, (n, side, side, 3)).astype(np.uint8)
    pred = np.clip(truth.astype(int) + rng.integers(-50, 50, truth.shape), 0, 255).astype(np.uint8)
    ab_true = np.round(rng.uniform(-60, 60, (n, side, side, 2)), 1)
    ab_pred = ab_true + rng.choice([0.0, 3.0, 12.0, 160.0], (n, side, side, 1)) * np.array([0.6, 0.8])
    return Images(pred, truth, ab_pred, ab_true)


def test_ssim_is_wang_et_als_on_the_rgb_images():
    images = _images(0)
    got = measure_images(images)["ssim"]
    expected = [_ssim_oracle(p, t) for p, t in zip(images.rgb_pred, images.rgb_true)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert measure_images(Images(images.rgb_true, images.rgb_true, images.ab_true, images.ab_true))["ssim"] == \
        pytest.approx([1.0] * 5)
    small = Images(*(a[:, :6, :6] for a in (images.rgb_pred, images.rgb_true, images.ab_pred, images.ab_true)))
    assert "ssim" not in measure_images(small)  # no 7 x 7 window fits: no value, rather than a made-up one


def test_per_image_auc_and_psnr_cap_are_metrics_on_each_image():
    images = _images(1)
    columns = measure_images(images)
    for i in range(5):
        assert measures.per_image_auc(columns)[i] == pytest.approx(
            metrics.auc_raw_accuracy(images.ab_pred[i], images.ab_true[i]), abs=1e-9)
    same = measure_images(Images(images.rgb_true, images.rgb_true, images.ab_true, images.ab_true))
    assert same["psnr"].tolist() == [measures.PSNR_CAP] * 5  # identical images: the cap, not +inf


def test_evaluate_rows_and_before_after_columns_give_the_same_set_numbers():
    """The same images measured as `colordisc evaluate` keeps them (one JSON row each) and as
    before/after does (columns of a batch, a prior given): one set of numbers."""
    images = _images(2)
    prior = np.random.default_rng(3).dirichlet(np.ones(313))
    rows = [measure(*(a[i] for a in (images.rgb_pred, images.rgb_true, images.ab_pred, images.ab_true)))
            for i in range(5)]
    from_rows = summarize(rows, prior=prior)
    from_columns = measures.summarize(measure_images(dataclasses.replace(images, prior=prior)))
    assert set(from_rows) == set(from_columns) and "ssim" in from_rows
    for key, value in from_rows.items():
        np.testing.assert_allclose(value, from_columns[key], rtol=1e-12, err_msg=key)
    assert from_rows["auc_rebalanced"] == pytest.approx(
        metrics.auc_rebalanced(images.ab_pred, images.ab_true, prior), abs=1e-9)


@pytest.fixture
def planted_metric():
    """A metric added the documented way: one per-image function, one registration."""
    @measures.measure
    def mean_red(images):
        return {"mean_red": np.asarray(images.rgb_pred)[..., 0].mean(axis=(1, 2))}

    measures.statistic("mean_red", "mean_red", label="mean red", fmt="{:.1f}")
    yield
    del measures.MEASURES["mean_red"], measures.STATISTICS["mean_red"]


def test_a_metric_is_one_function_and_one_registration(planted_metric):
    from colordisc_tf.evaluate.before_after import Measured, paired_differences, summarize_generator
    from colordisc_tf.config import BlessingConfig

    images = _images(4)
    brighter = Images(np.minimum(images.rgb_pred.astype(int) + 10, 255).astype(np.uint8), *(
        images.rgb_true, images.ab_pred, images.ab_true))
    base, tuned = (Measured([f"i{n}" for n in range(5)], measure_images(i), {}) for i in (images, brighter))
    config = BlessingConfig(resamples=200)
    red = images.rgb_pred[..., 0].mean(axis=(1, 2))
    assert summarize_generator(base.values, config)["mean_red"] == pytest.approx(red.mean())
    difference = paired_differences(base, tuned, config)
    expected = brighter.rgb_pred[..., 0].mean(axis=(1, 2)).mean() - red.mean()
    assert difference["mean_red"] == pytest.approx(expected) and len(difference["mean_red_ci"]) == 2
    rows = [measure(*(a[i] for a in (images.rgb_pred, images.rgb_true, images.ab_pred, images.ab_true)))
            for i in range(5)]
    assert summarize(rows)["mean_red"] == pytest.approx(red.mean())
    assert ("mean_red", "mean red", "{:.1f}") in measures.report_rows(["psnr"])
    assert ("mean_red", "mean red", "{:.1f}") not in measures.report_rows(["mean_red"])


def test_the_reports_show_ssim():
    from colordisc_tf.evaluate import page, report

    assert "ssim" in [key for key, _, _ in report.ROWS] and "ssim" in [key for key, _, _ in page.ROWS]
    assert [key for key, _, _ in report.ROWS][-1] == "fid"
