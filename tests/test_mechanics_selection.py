"""Failure selection and the failure Examples it writes (the blessing: test_blessing.py),
against independent oracles (NumPy argsort, hand-built records, hand-checked
boundaries). Written to fail on deliberate bugs: one id too many, everything
selected, splits mixed up, colorized records copied instead of the real ones.
"""

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from colordisc_tf.evaluate.failures import select_failures


def _rows(scores, split, ids=None):
    ids = ids or [f"p{i:03d}" for i in range(len(scores))]  # ids do not name their split
    return [{"id": i, "source": f"/photos/{i}.png", "split": split, "real_score": 0.9, "colorized_score": float(s)}
            for i, s in zip(ids, scores)]


def _oracle_lowest(rows, split, q):
    """ids of the floor(q * n) lowest colorized scores of `split` (distinct scores), by argsort."""
    own = [r for r in rows if r["split"] == split]
    scores = np.array([r["colorized_score"] for r in own])
    count = math.floor(Fraction(str(q)) * len(own))  # exact arithmetic: floor(q * n)
    order = np.argsort(scores, kind="stable")[:count]
    return [own[i]["id"] for i in order]


# --------------------------------------------------------------------------- quantile


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10, 33, 64, 101])
@pytest.mark.parametrize("q", [0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 1.0])
def test_quantile_selects_exactly_the_lowest_ids(n, q):
    rng = np.random.default_rng(1000 * n + int(100 * q))
    scores = rng.permutation(np.linspace(0.01, 0.99, n))  # distinct
    rows = _rows(scores, "train") + _rows(rng.random(n // 2 + 3), "eval", [f"e{i}" for i in range(n // 2 + 3)])
    rng.shuffle(rows)
    expected = _oracle_lowest(rows, "train", q)
    chosen = select_failures(rows, "train", quantile=q)
    assert len(chosen) == len(expected) == math.floor(Fraction(str(q)) * n)
    # exactly these ids, least real first, ranked 1..count
    assert [c["id"] for c in chosen] == expected
    assert [c["rank"] for c in chosen] == list(range(1, len(expected) + 1))
    assert all(c["split"] == "train" for c in chosen)
    by_id = {r["id"]: r for r in rows if r["split"] == "train"}
    for c in chosen:
        assert c["score"] == by_id[c["id"]]["colorized_score"]
        assert c["source"] == by_id[c["id"]]["source"]
        assert set(c) == {"id", "source", "split", "score", "rank"}


def test_default_quantile_is_a_quarter():
    rows = _rows(np.linspace(0.9, 0.1, 20), "eval")
    chosen = select_failures(rows, "eval")
    assert [c["id"] for c in chosen] == _oracle_lowest(rows, "eval", 0.25)
    assert len(chosen) == 5


def test_a_quantile_too_small_for_one_photo_selects_none():
    rows = _rows([0.3, 0.1, 0.2], "eval")
    assert select_failures(rows, "eval", quantile=0.33) == []  # floor(0.99) = 0
    assert [c["id"] for c in select_failures(rows, "eval", quantile=0.34)] == ["p001"]  # floor(1.02) = 1


def test_ties_at_the_cut_are_included():
    #        p000  p001  p002  p003  p004  p005  p006  p007
    scores = [0.5, 0.2, 0.2, 0.9, 0.2, 0.1, 0.7, 0.6]
    rows = _rows(scores, "train")
    # floor(0.25 * 8) = 2: the cut falls inside the 0.2 tie, so all three 0.2 come along
    chosen = select_failures(rows, "train", quantile=0.25)
    assert [c["id"] for c in chosen] == ["p005", "p001", "p002", "p004"]
    assert [c["rank"] for c in chosen] == [1, 2, 3, 4]
    # floor(0.5 * 8) = 4: cut at 0.2 again (no extra), the 0.5 stays out
    assert [c["id"] for c in select_failures(rows, "train", quantile=0.5)] == ["p005", "p001", "p002", "p004"]
    # floor(0.125 * 8) = 1: only the minimum, no tie
    assert [c["id"] for c in select_failures(rows, "train", quantile=0.125)] == ["p005"]
    # a tie just above the cut is not dragged in
    chosen = select_failures(_rows([0.1, 0.3, 0.3, 0.2], "train"), "train", quantile=0.5)
    assert [c["id"] for c in chosen] == ["p000", "p003"]
    # ties are ordered by id, whatever the input order
    rows = _rows([0.4, 0.4, 0.4], "eval", ["c", "a", "b"])
    assert [c["id"] for c in select_failures(rows, "eval", quantile=0.34)] == ["a", "b", "c"]


def test_quantile_bounds():
    rows = _rows([0.3, 0.1], "eval")
    for q in (0.0, -0.5, 1.0001, 2.0):
        with pytest.raises(ValueError, match=r"^quantile: must be in \(0, 1\], got "):
            select_failures(rows, "eval", quantile=q)
    assert len(select_failures(rows, "eval", quantile=1.0)) == 2


# --------------------------------------------------------------------------- threshold


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.35, 0.5, 0.99, 1.5])
def test_threshold_selects_strictly_below(threshold):
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(40), 2)
    scores[:3] = 0.35  # some exactly at a threshold
    rows = _rows(scores, "eval")
    chosen = select_failures(rows, "eval", quantile=None, threshold=threshold)
    expected = [rows[i]["id"] for i in np.lexsort(([r["id"] for r in rows], scores)) if scores[i] < threshold]
    assert [c["id"] for c in chosen] == expected
    assert [c["rank"] for c in chosen] == list(range(1, len(expected) + 1))


def test_exactly_one_of_quantile_and_threshold():
    rows = _rows([0.1], "eval")
    with pytest.raises(ValueError, match="^give exactly one of quantile and threshold$"):
        select_failures(rows, "eval", quantile=0.5, threshold=0.5)
    with pytest.raises(ValueError, match="^give exactly one of quantile and threshold$"):
        select_failures(rows, "eval", quantile=None)
    assert select_failures(rows, "eval", threshold=0.5, quantile=None)[0]["id"] == "p000"


# --------------------------------------------------------------------------- splits


def test_each_split_is_selected_from_its_own_rows_only():
    shared = ["img_a", "img_b", "img_c", "img_d"]  # the same ids in both splits
    train = _rows([0.05, 0.6, 0.7, 0.8], "train", shared) + _rows([0.5, 0.55, 0.65, 0.75], "train",
                                                                    ["t1", "t2", "t3", "t4"])
    evals = _rows([0.95, 0.1, 0.2, 0.9], "eval", shared)
    rows = evals + train  # interleaving must not matter
    chosen_train = select_failures(rows, "train", quantile=0.25)  # floor(0.25 * 8) = 2
    chosen_eval = select_failures(rows, "eval", quantile=0.25)  # floor(0.25 * 4) = 1
    assert [c["id"] for c in chosen_train] == ["img_a", "t1"]
    assert [c["id"] for c in chosen_eval] == ["img_b"]
    # img_a is low in train and high in eval: selected in train only, with its train score
    assert chosen_train[0]["score"] == 0.05 and chosen_train[0]["split"] == "train"
    assert all(c["split"] == "eval" for c in chosen_eval)
    # thresholds, too, per split
    assert [c["id"] for c in select_failures(rows, "eval", quantile=None, threshold=0.5)] == ["img_b", "img_c"]
    assert [c["id"] for c in select_failures(rows, "train", quantile=None, threshold=0.5)] == ["img_a"]
    assert select_failures(rows, "test", quantile=0.5) == []
    assert select_failures(rows, "test", quantile=None, threshold=1.0) == []


# --------------------------------------------------------------------------- written Examples


def _lab(rng, h=4, w=6):
    return np.concatenate([rng.uniform(5, 95, (h, w, 1)), rng.uniform(-60, 60, (h, w, 2))], -1)


def _write(path, records):
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for rec in records:
            writer.write(rec)


def _read_split(examples_dir, split):
    """Every record of one split of an Examples directory (whatever its shard names)."""
    import tensorflow as tf

    from colordisc_tf.data.record_format import split_file_pattern

    files = sorted(tf.io.gfile.glob(split_file_pattern(str(examples_dir), split)))
    assert files, f"no {split} files under {examples_dir}"
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


@pytest.fixture()
def real_and_colorized(tmp_path):
    """Real Examples (train and eval, the same id `both` in each with different pixels)
    and their colorized twins (same L, other ab)."""
    from colordisc_tf.data.record_format import encode_lab_example, replace_ab

    rng = np.random.default_rng(60)
    real, colorized = {}, {}
    for split, ids in (("train", ["both", "t1", "t2", "t3"]), ("eval", ["both", "e1", "e2"])):
        recs = [encode_lab_example(_lab(rng), i, f"/photos/{split}/{i}.png", 40, 60) for i in ids]
        real[split] = dict(zip(ids, recs))
        colorized[split] = {i: replace_ab(r, rng.uniform(-30, 30, (4, 6, 2))) for i, r in zip(ids, recs)}
        _write(tmp_path / "real" / f"Split-{split}" / "data_tfrecord-00000-of-00001.gz", recs)
        _write(tmp_path / "colorized" / f"Split-{split}" / "data_tfrecord-00000-of-00001.gz", colorized[split].values())
    return tmp_path, real, colorized


def test_failure_examples_are_the_real_records(real_and_colorized):
    from colordisc_tf.data.record_format import decode_lab_example
    from colordisc_tf.evaluate.failures import write_failure_examples

    root, real, colorized = real_and_colorized
    rows = (_rows([0.1, 0.5, 0.05, 0.9], "train", ["both", "t1", "t2", "t3"])
            + _rows([0.99, 0.2, 0.6], "eval", ["both", "e1", "e2"]))
    manifest = select_failures(rows, "train", quantile=0.5) + select_failures(rows, "eval", quantile=0.34)
    assert [(m["split"], m["id"]) for m in manifest] == [("train", "t2"), ("train", "both"), ("eval", "e1")]
    out = root / "failures"
    counts = write_failure_examples(str(root / "real"), manifest, str(out))
    assert counts == {"train": 2, "eval": 1}
    written = {split: _read_split(out, split) for split in ("train", "eval")}
    # exactly the real records of the selected ids of each split, byte for byte
    assert sorted(written["train"]) == sorted([real["train"]["t2"], real["train"]["both"]])
    assert written["eval"] == [real["eval"]["e1"]]
    for split, records in written.items():
        for raw in records:
            rec = decode_lab_example(raw)
            true = decode_lab_example(real[split][rec["id"]])
            recolored = decode_lab_example(colorized[split][rec["id"]])
            np.testing.assert_array_equal(rec["ab_i8"], true["ab_i8"])
            np.testing.assert_array_equal(rec["l_u8"], true["l_u8"])
            assert np.any(rec["ab_i8"] != recolored["ab_i8"])
    # `both` selected in train only: the eval Examples do not carry it (and train carries the train pixels)
    assert "both" not in {decode_lab_example(r)["id"] for r in written["eval"]}
    with open(out / "manifest.jsonl") as f:
        assert [json.loads(line) for line in f] == manifest


def test_failure_examples_empty_split_and_custom_splits(real_and_colorized):
    from colordisc_tf.evaluate.failures import write_failure_examples

    root, real, _ = real_and_colorized
    manifest = select_failures(_rows([0.1, 0.2], "train", ["t1", "t3"]), "train", quantile=0.5)
    out = root / "only_train"
    counts = write_failure_examples(str(root / "real"), manifest, str(out), splits=("train", "eval"))
    assert counts == {"train": 1, "eval": 0}
    assert _read_split(out, "train") == [real["train"]["t1"]]
    assert _read_split(out, "eval") == []  # present, empty
    counts = write_failure_examples(str(root / "real"), manifest, str(root / "train_only"), splits=("train",))
    assert counts == {"train": 1}
    assert not (root / "train_only" / "Split-eval").exists()


# The blessing (paired intervals, not point estimates): tests/test_blessing.py


# --------------------------------------------------------------------------- discriminator metrics (what the scores feed)


def _oracle_roc_auc(pos, neg):
    """P(score of a positive > score of a negative), ties counting half: all pairs."""
    pairs = [(1.0 if p > n else 0.5 if p == n else 0.0) for p in pos for n in neg]
    return sum(pairs) / len(pairs)


def test_roc_auc_with_ties_against_all_pairs():
    from colordisc_tf import metrics

    rng = np.random.default_rng(70)
    for trial in range(5):
        pos = rng.integers(0, 6, size=9) / 5.0  # few distinct values: many ties, within and across
        neg = rng.integers(0, 6, size=7) / 5.0
        assert metrics.roc_auc(pos, neg) == pytest.approx(_oracle_roc_auc(pos, neg), abs=1e-12)
    assert metrics.roc_auc([0.5, 0.5], [0.5]) == 0.5
    assert metrics.roc_auc([0.9, 0.5], [0.5, 0.1]) == pytest.approx(_oracle_roc_auc([0.9, 0.5], [0.5, 0.1]))
    for pos, neg in (([], [0.1]), ([0.1], []), ([], [])):
        with pytest.raises(ValueError, match="^roc_auc needs at least one positive and one negative score$"):
            metrics.roc_auc(pos, neg)


def test_discriminator_error_and_fool_rate_at_the_threshold():
    from colordisc_tf import metrics

    real = np.array([0.5, 0.49, 0.9, 0.2])  # 0.5 is called real (not an error), 0.49 and 0.2 are errors
    colorized = np.array([0.5, 0.51, 0.1])  # 0.5 and 0.51 fool the discriminator (errors)
    assert metrics.discriminator_error(real, colorized) == pytest.approx(4 / 7)
    assert metrics.fool_rate(colorized) == pytest.approx(2 / 3)
    assert metrics.fool_rate(np.array([0.5])) == 1.0
    assert metrics.fool_rate(colorized, threshold=0.505) == pytest.approx(1 / 3)
    assert metrics.discriminator_error([0.5], [0.4999]) == 0.0
    assert metrics.discriminator_error([0.4999], [0.5]) == 1.0


def test_quantile_count_survives_float_rounding():
    # 0.29 * 100 == 28.999999999999996 in floating point: the filter must still take 29
    rows = [{"id": f"p{i:03d}", "source": f"p{i}.png", "split": "train", "colorized_score": i / 100} for i in range(100)]
    for quantile, n in ((0.29, 100), (0.57, 100), (0.58, 100)):
        chosen = select_failures(rows[:n], "train", quantile=quantile)
        assert len(chosen) == round(quantile * n), (quantile, len(chosen))


def test_the_one_failure_rule_names_its_keys_and_returns_the_selection():
    """config.failure_selection: what PipelineConfig, FailureFilter and select_failures all check."""
    from colordisc_tf.config import ConfigError, failure_selection

    assert failure_selection(0.25, None) == {"quantile": 0.25, "threshold": None}
    assert failure_selection(None, 0.3) == {"quantile": None, "threshold": 0.3}
    assert failure_selection(1.0, None) == {"quantile": 1.0, "threshold": None}
    with pytest.raises(ConfigError, match=r"^failure_quantile: must be in \(0, 1\], got 1\.5$"):
        failure_selection(1.5, None, prefix="failure_")
    with pytest.raises(ConfigError, match="^give exactly one of failure_quantile and failure_threshold$"):
        failure_selection(None, None, prefix="failure_")

