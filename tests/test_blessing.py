"""The blessing by intervals: the paired bootstrap (against scipy's), the per-image measurements
it resamples, the verdict on planted differences, and its config."""

import json
import re

import numpy as np
import pytest
import scipy.stats

from colordisc_tf import metrics
from colordisc_tf.config import BlessingConfig, ConfigError, from_dict, load_config
from colordisc_tf.evaluate.before_after import Measured, detection_auc, paired_differences, summarize_generator
from colordisc_tf.evaluate.blessing import BLESSED, NOT_BLESSED, NOT_ENOUGH_EVIDENCE, bless

FAST = BlessingConfig(resamples=500)

# ----------------------------------------------------------------------------- the paired bootstrap


def _scipy_interval(statistic, *samples, seed, resamples=2000, confidence=0.95):
    result = scipy.stats.bootstrap(samples, statistic, paired=True, vectorized=False, n_resamples=resamples,
                                   confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    return [result.confidence_interval.low, result.confidence_interval.high]


@pytest.mark.parametrize("seed", [0, 7])
def test_paired_bootstrap_agrees_with_scipys(seed):
    """Differences of a mean, of a ratio of sums (pooled AuC) and of two ROC AUCs, resampled
    image by image: the interval is scipy.stats.bootstrap(paired=True, method="percentile")'s,
    looped or vectorized."""
    rng = np.random.default_rng(seed)
    n = 23
    base = rng.normal(70, 8, n)
    tuned = base + rng.normal(0.5, 2, n)
    pixels = rng.integers(500, 2000, n).astype(float)
    real, fake_base, fake_tuned = rng.uniform(0, 1, n), rng.uniform(0, 0.8, n), rng.uniform(0, 0.9, n)
    fake_tuned[:5] = real[:5]  # ties count half

    cases = [
        (lambda b, t: np.mean(t, -1) - np.mean(b, -1), (base, tuned)),
        (lambda b, t, p: np.sum(t * p, -1) / np.sum(p, -1) - np.sum(b * p, -1) / np.sum(p, -1), (base, tuned, pixels)),
    ]
    for statistic, samples in cases:
        expected = _scipy_interval(statistic, *samples, seed=seed)
        np.testing.assert_allclose(metrics.paired_bootstrap_ci(statistic, *samples, seed=seed), expected, rtol=1e-12)
        np.testing.assert_allclose(metrics.paired_bootstrap_ci(statistic, *samples, seed=seed, vectorized=True, chunk=64),
                                   expected, rtol=1e-12)

    def auc_difference(r, fb, ft):
        return metrics.roc_auc(r, ft) - metrics.roc_auc(r, fb)

    expected = _scipy_interval(auc_difference, real, fake_base, fake_tuned, seed=seed, resamples=400, confidence=0.9)
    np.testing.assert_allclose(metrics.paired_bootstrap_ci(auc_difference, real, fake_base, fake_tuned, seed=seed,
                                                           resamples=400, confidence=0.9), expected, rtol=1e-12)
    vectorized = metrics.paired_bootstrap_ci(lambda r, fb, ft: detection_auc(r, ft) - detection_auc(r, fb), real,
                                             fake_base, fake_tuned, seed=seed, resamples=400, confidence=0.9,
                                             vectorized=True)
    np.testing.assert_allclose(vectorized, expected, rtol=1e-12)


def test_paired_bootstrap_edges():
    assert metrics.paired_bootstrap_ci(np.mean, [1.0]) is None  # one image: nothing to resample
    with pytest.raises(ValueError, match="share their first axis"):
        metrics.paired_bootstrap_ci(lambda a, b: 0.0, [1.0, 2.0], [1.0, 2.0, 3.0])
    assert metrics.paired_bootstrap_ci(np.mean, [3.0, 3.0, 3.0]) == [3.0, 3.0]


def test_detection_auc_is_roc_auc_row_by_row():
    rng = np.random.default_rng(3)
    real, fake = rng.integers(0, 5, (4, 9)) / 4.0, rng.integers(0, 5, (4, 9)) / 4.0  # many ties
    np.testing.assert_allclose(detection_auc(real, fake), [metrics.roc_auc(r, f) for r, f in zip(real, fake)])


def _measured(rng, n, area, real, fake, prior_weight=None, ids=None):
    """A generator's per-image values as measure_generator keeps them (one fixed, two fresh discriminators)."""
    pixels = np.full(n, 1024.0)
    values = {"auc_area": area * pixels * 1.5, "auc_pixels": pixels,  # AuC (%) = 100 / 150 * area / pixels
              "rebalanced_area": area * pixels * 1.5, "rebalanced_pixels": pixels,
              "colorfulness": rng.uniform(10, 40, n), "colorfulness_truth": np.linspace(15, 35, n),
              "psnr": rng.uniform(20, 30, n)}
    for name in ("fixed", "retrained_0", "retrained_1"):
        values[f"realness_truth_{name}"], values[f"realness_{name}"] = real, fake
    return Measured(ids or [f"img{i}" for i in range(n)], values, {})


def test_the_difference_resamples_the_same_images_for_both_generators():
    """Every image 0.5 AuC points better after fine-tuning, images of very different difficulty:
    the paired interval is exactly +0.5 (independent resampling would spread it by points)."""
    rng = np.random.default_rng(0)
    n = 30
    area = rng.uniform(40, 95, n)
    real, fake = rng.uniform(0.5, 1, n), rng.uniform(0, 0.6, n)
    base = _measured(rng, n, area, real, fake)
    tuned = _measured(rng, n, area + 0.5, real, fake)
    difference = paired_differences(base, tuned, FAST)
    assert difference["auc_raw"] == pytest.approx(0.5)
    np.testing.assert_allclose(difference["auc_raw_ci"], [0.5, 0.5])
    assert difference["detection_auc_retrained"] == 0.0 and difference["detection_auc_retrained_ci"] == [0.0, 0.0]
    each = summarize_generator(base.values, FAST)
    assert each["auc_raw_ci"][1] - each["auc_raw_ci"][0] > 5  # one generator's own interval: the images' spread
    # the order the fine-tuned generator was read in does not matter: images are matched by id
    shuffled = np.random.default_rng(1).permutation(n)
    tuned_shuffled = Measured([tuned.ids[i] for i in shuffled], {k: v[shuffled] for k, v in tuned.values.items()}, {})
    assert paired_differences(base, tuned_shuffled, FAST)["auc_raw_ci"] == difference["auc_raw_ci"]
    with pytest.raises(ValueError, match="different images"):
        paired_differences(base, _measured(rng, n - 1, area[1:], real[1:], fake[1:]), FAST)


# ----------------------------------------------------------------------------- the verdict on planted differences


def _report(auc=(0.4, 0.1, 0.7), rebalanced=(0.2, -0.6, 0.9), detection=(-0.15, -0.25, -0.06), fool=(0.3, 0.1, 0.5),
            failures=9, photos=37, base_auc=80.0, tuned_auc=80.0):
    """A compare_generators report with planted differences (value, low, high); None leaves one out."""
    def difference(**planted):
        out = {}
        for key, triple in planted.items():
            if triple is not None:
                out[key], out[f"{key}_ci"] = triple[0], (list(triple[1:]) if triple[1] is not None else None)
        return out

    return {"sets": {
        "eval_failures": {"base": {"images": failures, "detection_auc_retrained": 0.9},
                          "finetuned": {"images": failures, "detection_auc_retrained": 0.7},
                          "difference": difference(detection_auc_retrained=detection, fool_rate_fixed=fool)},
        "eval_all": {"base": {"images": photos, "auc_raw": base_auc}, "finetuned": {"images": photos, "auc_raw": tuned_auc},
                     "difference": difference(auc_raw=auc, auc_rebalanced=rebalanced)}}}


def test_a_clear_gain_is_blessed_and_the_verdict_names_its_intervals():
    verdict = bless(_report(), BlessingConfig())
    assert verdict.blessed and verdict.outcome == BLESSED
    assert verdict.text == (
        "blessed: raw AuC on the 37 eval photos +0.40 [+0.10, +0.70] is above −1.0; rebalanced AuC on the 37 eval "
        "photos +0.20 [−0.60, +0.90] is above −1.0; detection AUC of fresh discriminators on the 9 eval failure cases "
        "−0.150 [−0.250, −0.060] is below 0: harder to tell from real")
    saved = verdict.as_dict()
    assert saved["blessed"] is True and saved["verdict"] == verdict.text and saved["outcome"] == "blessed"
    assert [c["state"] for c in saved["checks"]] == ["pass"] * 3 and len(saved["reasons"]) == 3


def test_a_clear_loss_is_refused():
    verdict = bless(_report(auc=(-3.0, -4.1, -1.9)), BlessingConfig())
    assert not verdict.blessed and verdict.outcome == NOT_BLESSED
    assert verdict.text == "NOT blessed: raw AuC on the 37 eval photos −3.00 [−4.10, −1.90] is worse than −1.0"
    verdict = bless(_report(detection=(0.12, 0.04, 0.2)), BlessingConfig())  # easier to tell from real
    assert verdict.outcome == NOT_BLESSED and "+0.120 [+0.040, +0.200] is not below 0" in verdict.text
    # a refusal wins over an unclear requirement, and names only the failing interval
    verdict = bless(_report(auc=(-3.0, -4.1, -1.9), detection=(-0.05, -0.3, 0.2)), BlessingConfig())
    assert verdict.outcome == NOT_BLESSED and "detection" not in verdict.text


def test_a_wide_interval_is_not_enough_evidence():
    verdict = bless(_report(detection=(-0.08, -0.3, 0.14)), BlessingConfig())
    assert not verdict.blessed and verdict.outcome == NOT_ENOUGH_EVIDENCE
    assert verdict.text == (
        "not enough evidence: detection AUC of fresh discriminators on the 9 eval failure cases −0.080 [−0.300, "
        "+0.140] could be 0 or more: not shown harder to tell from real")
    # the machine: −1.44 points on 37 tiles, an interval reaching past the margin and past 0
    verdict = bless(_report(auc=(-1.44, -2.9, 0.1)), BlessingConfig())
    assert verdict.text == ("not enough evidence: raw AuC on the 37 eval photos −1.44 [−2.90, +0.10] could be "
                            "worse than −1.0")
    verdict = bless(_report(auc=(0.3, None, None)), BlessingConfig())  # one image: no interval
    assert verdict.outcome == NOT_ENOUGH_EVIDENCE and "has no interval" in verdict.text


def test_the_verdict_reads_intervals_not_point_estimates():
    """Point estimates that pass every old rule (AuC −0.5 > −1.0, detection AUC −0.05 < 0) with
    intervals that do not; the same points with narrow intervals bless; per-generator values
    that contradict the differences are not read at all."""
    points_pass = _report(auc=(-0.5, -2.2, 1.1), detection=(-0.05, -0.21, 0.12))
    assert bless(points_pass, BlessingConfig()).outcome == NOT_ENOUGH_EVIDENCE
    narrow = _report(auc=(-0.5, -0.8, -0.2), detection=(-0.05, -0.09, -0.01))
    assert bless(narrow, BlessingConfig()).outcome == BLESSED
    # the point estimate fails the margin, the interval still shows a loss beyond it
    assert bless(_report(auc=(-0.9, -1.6, -1.05)), BlessingConfig()).outcome == NOT_BLESSED
    # a 20-point drop between the generators' own values, but a difference that passes: the difference decides
    assert bless(_report(base_auc=90.0, tuned_auc=70.0), BlessingConfig()).blessed
    assert not bless(_report(auc=(-3.0, -4.1, -1.9), base_auc=70.0, tuned_auc=90.0), BlessingConfig()).blessed


def test_the_bounds_are_strict_and_every_one_is_read_from_the_config():
    assert bless(_report(auc=(0.0, -1.0, 1.0)), BlessingConfig()).outcome == NOT_ENOUGH_EVIDENCE  # on the margin
    assert bless(_report(auc=(0.0, -0.999, 1.0)), BlessingConfig()).blessed
    assert bless(_report(auc=(-2.0, -3.0, -1.0)), BlessingConfig()).outcome == NOT_BLESSED  # reaches it only
    assert bless(_report(auc=(-2.0, -2.9, -1.1)), BlessingConfig(max_auc_drop=3.0)).blessed
    assert bless(_report(detection=(-0.2, -0.3, -0.1)), BlessingConfig(min_retrained_auc_drop=0.1)).outcome == NOT_ENOUGH_EVIDENCE
    assert bless(_report(detection=(-0.2, -0.3, -0.11)), BlessingConfig(min_retrained_auc_drop=0.1)).blessed
    verdict = bless(_report(detection=(0.0, 0.0, 0.0)), BlessingConfig())  # no change at all is no improvement
    assert verdict.outcome == NOT_BLESSED
    # rebalanced AuC: its own margin, or none
    duller = _report(rebalanced=(-2.2, -3.5, -1.2))
    verdict = bless(duller, BlessingConfig())
    assert verdict.outcome == NOT_BLESSED and "rebalanced AuC on the 37 eval photos −2.20 [−3.50, −1.20]" in verdict.text
    assert bless(duller, BlessingConfig(max_rebalanced_auc_drop=4.0)).blessed
    assert bless(duller, BlessingConfig(max_rebalanced_auc_drop=None)).blessed
    assert bless(_report(rebalanced=None), BlessingConfig()).blessed  # no colour prior: nothing to compare
    # the fixed discriminator's fool rate: a requirement only when asked for
    assert bless(_report(fool=(0.1, -0.2, 0.4)), BlessingConfig()).blessed
    verdict = bless(_report(fool=(0.1, -0.2, 0.4)), BlessingConfig(min_fool_rate_gain=0.0))
    assert verdict.outcome == NOT_ENOUGH_EVIDENCE and verdict.text.startswith(
        "not enough evidence: fool rate of the fixed discriminator on the 9 eval failure cases +0.100")
    assert bless(_report(fool=(0.3, 0.1, 0.5)), BlessingConfig(min_fool_rate_gain=0.05)).blessed


def test_without_fresh_discriminators_or_failure_cases():
    report = _report(detection=None)
    report["sets"]["eval_failures"]["difference"].update(detection_auc_fixed=-0.2, detection_auc_fixed_ci=[-0.3, -0.1])
    verdict = bless(report, BlessingConfig(retrain_discriminator_steps=0))
    assert verdict.blessed and ("detection AUC of the fixed discriminator on the 9 eval failure cases (no fresh "
                                "discriminators: retrain_discriminator_steps is 0) −0.200") in verdict.text
    verdict = bless(_report(failures=0), BlessingConfig())
    assert (verdict.outcome, verdict.text) == (NOT_ENOUGH_EVIDENCE,
                                               "not enough evidence: no eval-split failure cases to compare on")
    assert verdict.as_dict()["blessed"] is False and verdict.as_dict()["reasons"] == [verdict.text]


def test_planted_per_image_values_through_differences_to_the_verdict():
    """From per-image values to the verdict: fine-tuned colorizations that every fresh
    discriminator finds more real on most images, AuC unchanged within noise -> blessed; a
    lost AuC point on every image -> refused; 6 noisy images -> not enough evidence."""
    rng = np.random.default_rng(5)

    def run(n, auc_shift, realness_shift, noise):
        area = rng.uniform(50, 90, n)
        real = rng.uniform(0.6, 1.0, n)
        fake = rng.uniform(0.0, 0.7, n)
        base = _measured(rng, n, area, real, fake)
        tuned = _measured(rng, n, area + auc_shift + rng.normal(0, noise, n), real,
                          np.clip(fake + realness_shift + rng.normal(0, noise / 10, n), 0, 1))
        report = {"sets": {}}
        for set_name in ("eval_failures", "eval_all"):
            report["sets"][set_name] = {"base": {"images": n}, "difference": paired_differences(base, tuned, FAST)}
        return bless(report, FAST)

    assert run(40, 0.0, 0.35, 0.3).outcome == BLESSED
    assert run(40, -2.5, 0.35, 0.3).outcome == NOT_BLESSED
    assert run(6, 0.0, 0.05, 3.0).outcome == NOT_ENOUGH_EVIDENCE


# ----------------------------------------------------------------------------- measured on a generator


def test_measured_metrics_are_the_pooled_ones_and_a_generator_against_itself_is_not_blessed(tmp_path):
    """Per-image AuC areas give exactly the pooled raw and rebalanced AuC; a generator compared
    with itself differs by 0 [0, 0] everywhere, which is no improvement."""
    import keras
    import tensorflow as tf

    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.data.record_format import decode_lab_example, encode_lab_example
    from colordisc_tf.evaluate.before_after import measure_generator
    from colordisc_tf.models import build_generator

    rng = np.random.default_rng(2)
    records = [encode_lab_example(np.concatenate([rng.uniform(20, 80, (16, 16, 1)), rng.uniform(-60, 60, (16, 16, 2))],
                                                 -1), f"img{i}", "/x.png", 16, 16) for i in range(6)]
    path = tmp_path / "Split-eval" / "data.gz"
    path.parent.mkdir()
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for record in records:
            writer.write(record)
    keras.utils.set_random_seed(0)
    generator = build_generator(0.0625)
    prior = rng.dirichlet(np.ones(313))

    def discriminator(lab, training=False):  # realness from the mean chroma: varied, deterministic
        return tf.reshape(tf.reduce_mean(tf.abs(lab[..., 1:]), axis=(1, 2, 3)) / 20.0 - 1.0, (-1, 1, 1, 1))

    measured = measure_generator(generator, str(path.parent / "*"), {"fixed": discriminator}, Decoding(), prior)
    truth = {r["id"]: r["lab"] for r in map(decode_lab_example, records)}
    ab_pred = np.stack([measured.grid[i][1][..., 1:] for i in measured.ids])
    ab_true = np.stack([truth[i][..., 1:] for i in measured.ids])
    result = summarize_generator(measured.values, FAST)
    assert result["images"] == 6
    assert result["auc_raw"] == pytest.approx(metrics.auc_raw_accuracy(ab_pred, ab_true), abs=1e-9)
    assert result["auc_rebalanced"] == pytest.approx(metrics.auc_rebalanced(ab_pred, ab_true, prior), abs=1e-9)
    real, fake = measured.values["realness_truth_fixed"], measured.values["realness_fixed"]
    assert result["detection_auc_fixed"] == pytest.approx(metrics.roc_auc(real, fake))
    assert result["fool_rate_fixed_ci"] == metrics.fool_rate_ci(fake)

    difference = paired_differences(measured, measured, FAST)
    assert set(difference) >= {"auc_raw", "auc_rebalanced", "delta_cf", "psnr", "colorfulness", "detection_auc_fixed",
                               "fool_rate_fixed", "mean_realness_fixed", "per_image_delta_cf"}
    assert "colorfulness_truth" not in difference
    for key, value in difference.items():
        assert (value == [0.0, 0.0]) if key.endswith("_ci") else value == 0.0, key
    report = {"sets": {name: {"base": result, "finetuned": result, "difference": difference}
                       for name in ("eval_failures", "eval_all")}}
    verdict = bless(report, BlessingConfig(retrain_discriminator_steps=0))
    assert verdict.outcome == NOT_BLESSED and "+0.000 [+0.000, +0.000] is not below 0" in verdict.text


# ----------------------------------------------------------------------------- the config


def test_blessing_config_defaults_and_presets():
    c = BlessingConfig()
    assert (c.max_auc_drop, c.max_rebalanced_auc_drop, c.min_retrained_auc_drop, c.min_fool_rate_gain) == (
        1.0, 1.0, 0.0, None)
    assert (c.confidence, c.resamples, c.bootstrap_seed) == (0.95, 2000, 0)
    assert (c.retrain_discriminator_steps, c.retrain_discriminator_seeds) == (200, 1)
    for preset in ("demo", "full", "starter"):  # every shipped preset's blessing section still loads
        with open(f"pipelines/configs/{preset}.json") as f:
            from_dict(BlessingConfig, json.load(f).get("blessing"))


@pytest.mark.parametrize("key,bad,rule", [
    ("max_auc_drop", -0.1, ">= 0"),
    ("max_rebalanced_auc_drop", -1.0, ">= 0 (or null)"),
    ("min_retrained_auc_drop", -0.01, "in [0, 1)"),
    ("min_retrained_auc_drop", 1.0, "in [0, 1)"),
    ("min_fool_rate_gain", 1.0, "in [-1, 1) (or null)"),
    ("min_fool_rate_gain", -1.5, "in [-1, 1) (or null)"),
    ("confidence", 1.0, "in [0.5, 1)"),
    ("confidence", 0.3, "in [0.5, 1)"),
    ("resamples", 99, ">= 100 (percentile intervals need a tail to read)"),
    ("bootstrap_seed", -1, ">= 0"),
    ("retrain_discriminator_steps", -1, ">= 0"),
    ("retrain_discriminator_seeds", 0, ">= 1"),
])
def test_blessing_config_rejects_out_of_range_values(key, bad, rule):
    with pytest.raises(ConfigError, match=rf"^blessing\.{key}: must be {re.escape(rule)}, got"):
        load_config(overrides={"blessing": {key: bad}})


@pytest.mark.parametrize("key,bad", [("resamples", 2000.0), ("resamples", "2000"), ("confidence", "0.95"),
                                     ("max_auc_drop", None), ("bootstrap_seed", True), ("min_fool_rate_gain", "0")])
def test_blessing_config_rejects_wrong_types(key, bad):
    with pytest.raises(ConfigError, match=rf"blessing\.{key}: expected"):
        load_config(overrides={"blessing": {key: bad}})


def test_blessing_config_takes_null_where_a_requirement_can_be_off_and_ints_for_floats():
    c = from_dict(BlessingConfig, {"max_rebalanced_auc_drop": None, "min_fool_rate_gain": None, "max_auc_drop": 2,
                                   "confidence": 0.9, "resamples": 500})
    assert (c.max_rebalanced_auc_drop, c.min_fool_rate_gain, c.max_auc_drop) == (None, None, 2.0)
    assert isinstance(c.max_auc_drop, float)
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['blessing.max_auc_dorp'\]"):
        load_config(overrides={"blessing": {"max_auc_dorp": 1.0}})


# ----------------------------------------------------------------------------- where a reader sees it


def _compared():
    report = _report(auc=(-1.44, -2.9, 0.1), fool=(1 / 3, 0.0, 2 / 3))
    report["sets"]["eval_all"]["base"].update(auc_raw=86.14, auc_raw_ci=[84.0, 88.1])
    report["sets"]["eval_all"]["finetuned"].update(auc_raw=84.69, auc_raw_ci=[82.2, 86.9])
    report["sets"]["eval_all"]["difference"].update(delta_cf=-4.4, delta_cf_ci=[-9.13, 0.21])
    for side in ("base", "finetuned"):
        report["sets"]["eval_all"][side].update(delta_cf=7.26 if side == "base" else 2.86)
    report.update(bless(report, BlessingConfig()).as_dict())
    return report


def test_the_report_shows_the_verdict_and_each_difference_with_its_interval(tmp_path):
    from colordisc_tf.evaluate.report import format_difference, write_html_report

    with open(write_html_report(_compared(), {}, str(tmp_path), str(tmp_path / "out"), {})) as f:
        page = f.read()
    assert ("<p id='verdict'><b>not enough evidence</b>: raw AuC on the 37 eval photos −1.44 [−2.90, +0.10] could be "
            "worse than −1.0 (the fine-tuned generator is not pushed).</p>") in page
    assert "<td>−1.44<br><small>[−2.90, +0.10]</small></td>" in page  # the AuC row's difference cell
    assert "+33.3<br><small>[+0.0, +66.7] pp</small>" in page  # fool rate: percentage points
    assert "fine-tuned − base" in page and page.count("<td>unclear</td>") == 1
    assert format_difference("auc_raw", -1.444, [-2.9, 0.1]) == "−1.44 [−2.90, +0.10]"
    assert format_difference("fool_rate_fixed", 0.25, None) == "+25.0 pp"


def test_the_runs_closing_lines_give_the_differences_and_the_verdict():
    from pipelines.run_summary import _before_after_lines

    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in _before_after_lines(_compared())}
    assert lines["blessing"] == ("not enough evidence: raw AuC on the 37 eval photos −1.44 [−2.90, +0.10] could be "
                                 "worse than −1.0")
    assert "raw AuC −1.44 [−2.90, +0.10]; rebalanced AuC +0.20 [−0.60, +0.90]; ΔCF −4.40 [−9.13, +0.21]" in \
        lines["Δ eval split"]
    assert "detection AUC (fresh discriminators) −0.150 [−0.250, −0.060]" in lines["Δ failures"]
    assert "fool rate (fixed) +33.3 [+0.0, +66.7] pp" in lines["Δ failures"]
