import numpy as np
import pytest

from colordisc_tf.evaluate.failures import select_failures
from colordisc_tf.evaluate.scoring import evaluate_scores


def _rows(n, split, seed):
    rng = np.random.default_rng(seed)
    return [{"id": f"{split}{i:03d}", "source": f"/p/{split}{i}.png", "split": split,
             "real_score": float(rng.uniform(0.4, 1)), "colorized_score": float(rng.uniform(0, 0.8)),
             "cf_colorized": float(rng.uniform(0, 50)), "delta_cf": float(rng.uniform(0, 20)),
             "chroma_colorized": float(rng.uniform(0, 30)), "auc": float(rng.uniform(60, 95)),
             "cf_real": 30.0} for i in range(n)]


def test_selects_exactly_the_lowest_quantile():
    rows = _rows(40, "train", 0) + _rows(20, "eval", 1)
    chosen = select_failures(rows, "train", quantile=0.25)
    scores = sorted(r["colorized_score"] for r in rows if r["split"] == "train")
    assert len(chosen) == 10
    assert [c["score"] for c in chosen] == scores[:10]
    assert [c["rank"] for c in chosen] == list(range(1, 11))
    assert {c["split"] for c in chosen} == {"train"}


def test_train_and_eval_selections_are_disjoint():
    rows = _rows(40, "train", 0) + _rows(20, "eval", 1)
    train = {c["id"] for c in select_failures(rows, "train")}
    evals = {c["id"] for c in select_failures(rows, "eval")}
    assert train and evals and not train & evals


def test_threshold_selection_and_empty_cases():
    rows = _rows(30, "eval", 2)
    chosen = select_failures(rows, "eval", quantile=None, threshold=0.3)
    assert {c["id"] for c in chosen} == {r["id"] for r in rows if r["colorized_score"] < 0.3}
    assert select_failures(rows, "eval", quantile=None, threshold=0.0) == []
    assert select_failures(rows, "train") == []  # no rows for the split
    assert select_failures(_rows(3, "eval", 3), "eval", quantile=0.25) == []  # 0.25 * 3 rounds to none
    with pytest.raises(ValueError, match="exactly one"):
        select_failures(rows, "eval", quantile=0.1, threshold=0.5)


def test_evaluate_scores_against_direct_computation():
    from sklearn.metrics import roc_auc_score

    rows = _rows(50, "eval", 4)
    result = evaluate_scores(rows, "eval")
    real = np.array([r["real_score"] for r in rows])
    colorized = np.array([r["colorized_score"] for r in rows])
    assert result["roc_auc"] == pytest.approx(roc_auc_score(np.r_[np.ones(50), np.zeros(50)], np.r_[real, colorized]))
    assert result["fool_rate"] == pytest.approx(np.mean(colorized >= 0.5))
    assert result["error"] == pytest.approx((np.sum(real < 0.5) + np.sum(colorized >= 0.5)) / 100)
    assert set(result["spearman_colorized_score_vs"]) == {"cf_colorized", "delta_cf", "chroma_colorized", "auc"}
    from colordisc_tf import metrics

    assert result["fool_rate_ci"] == metrics.proportion_ci(int(np.sum(colorized >= 0.5)), 50)
    lo, hi = result["roc_auc_ci"]
    assert lo <= result["roc_auc"] <= hi and hi - lo > 0.01  # 50 pairs: not a point


def test_report_shows_each_sets_count_and_intervals(tmp_path):
    from colordisc_tf.evaluate.report import write_html_report

    base = {"images": 9, "fool_rate_fixed": 1 / 3, "fool_rate_fixed_ci": [0.1206, 0.6458], "psnr": 21.5}
    finetuned = {"images": 9, "fool_rate_fixed": 5 / 9, "fool_rate_fixed_ci": [0.2667, 0.8112], "psnr": 21.0}
    report = {"blessed": False, "reasons": ["r"], "sets": {"eval_failures": {"base": base, "finetuned": finetuned}}}
    with open(write_html_report(report, {}, str(tmp_path), str(tmp_path / "out"), {})) as f:
        page = f.read()
    assert "eval_failures (9 images)" in page
    assert "33.3%<br><small>[12.1%, 64.6%]</small>" in page and "55.6%<br><small>[26.7%, 81.1%]</small>" in page
    assert "<td>21.50</td>" in page  # no interval given: none shown
