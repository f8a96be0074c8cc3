"""The method's benchmark on the library (benchmarks.gpu_method): the three trainers on JAX,
fed by the NumPy reader, in a process that never imports TensorFlow; and the pieces that make
it possible (keras.ops decoding, the time budget) against their TensorFlow twins."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A host without TensorFlow, in a process of a host with it: every attempt to import it fails, as
# there, and is recorded.
ABSENT_TENSORFLOW = """
import importlib.abc, json, sys, traceback
class Absent(importlib.abc.MetaPathFinder):
    tried = []
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "tensorflow":
            Absent.tried.append("".join(traceback.format_stack()[-14:-4]))  # who asked
            raise ImportError("no tensorflow on this host")
sys.meta_path.insert(0, Absent())
"""


def test_predict_ab_in_keras_ops_gives_serving_inference_numbers():
    """train.callbacks.predict_ab (no TensorFlow needed) against serve.inference.predict_ab (TF ops):
    the eval AuC of the tf.data path keeps its numbers."""
    import keras

    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve import inference
    from colordisc_tf.train.callbacks import predict_ab

    keras.utils.set_random_seed(1)
    generator = build_generator(0.0625)
    l_batch = np.random.default_rng(0).uniform(0, 100, (2, 32, 40, 1)).astype(np.float32)
    for decoding in (Decoding(), Decoding(temperature=1.0)):
        ours = predict_ab(generator, l_batch, decoding)
        theirs = inference.predict_ab(generator, l_batch, decoding).numpy()
        assert ours.shape == (2, 32, 40, 2)
        np.testing.assert_array_equal(ours, theirs)  # the same kernels on TensorFlow: bit for bit
        assert np.abs(ours).max() > 1  # colours, not a blank decode


def test_time_budget_stops_fit_at_the_first_epoch_end_past_it(tmp_path):
    import keras

    from colordisc_tf.train.callbacks import TimeBudget
    from colordisc_tf.train.fit import fit_for_steps

    def batches():
        rng = np.random.default_rng(0)
        while True:
            x = rng.normal(size=(4, 3)).astype(np.float32)
            yield x, x.sum(axis=1, keepdims=True)

    def model():
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        m.compile(keras.optimizers.SGD(0.01), "mse")
        return m

    spent = TimeBudget(0.0)
    history = fit_for_steps(model(), batches(), steps=400, steps_per_epoch=2, output_dir=str(tmp_path / "a"),
                            callbacks=[spent])
    assert history["steps"] == 2 and spent.stopped_early
    ample = TimeBudget(3600.0)
    history = fit_for_steps(model(), batches(), steps=6, steps_per_epoch=2, output_dir=str(tmp_path / "b"),
                            callbacks=[ample])
    assert history["steps"] == 6 and not ample.stopped_early


@pytest.mark.slow  # ~3-5 min on 2 busy cores: JAX compiles three models' train steps
def test_the_driver_trains_the_three_trainers_on_jax_without_tensorflow(tmp_path):
    pytest.importorskip("jax")
    from colordisc_tf.data.demo_photos import write_demo_photos
    from colordisc_tf.data.numpy_records import record_batches
    from colordisc_tf.data.record_format import split_file_pattern

    photos, out = tmp_path / "photos", tmp_path / "out"
    write_demo_photos(str(photos), tile=32, max_side=96)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", COLORDISC_RECORD_READER="numpy")
    command = [sys.executable, "-c", ABSENT_TENSORFLOW +
               "from benchmarks import gpu_method; report = gpu_method.main(sys.argv[1:]); "
               "print('TENSORFLOW', json.dumps('tensorflow' in sys.modules), json.dumps(Absent.tried))",
               "--photos", str(photos), "--out", str(out), "--smoke", "--max-steps", "2", "--budget", "3600",
               "--precision", "float32", "--eval-percent", "30", "--skip-before-after"]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    # at the very end of the process, not only after training; and nothing even tried to import it
    assert "TENSORFLOW false []" in done.stdout, done.stdout[-2000:]
    report = json.loads((out / "method.json").read_text())
    assert report["backend"] == "jax" and report["training_process_imported_tensorflow"] is False
    phases = report["phases"]
    for name in ("generator", "discriminator", "finetune"):
        assert phases[name]["steps"] == 2 and not phases[name]["stopped_by_budget"], phases[name]
        assert all(np.isfinite(v) for v in phases[name]["last_losses"].values()), phases[name]
    assert "auc_raw" in phases["generator"]["last_losses"]  # the eval callback ran without TensorFlow
    assert "eval_auc" in phases["discriminator"]["last_losses"]
    # the failure records: the real records of each split's lowest quartile by realness (select_failures'
    # floor count, ties at the cut included), by an argsort here
    rows = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    for split in ("train", "eval"):
        scores = {r["id"]: r["colorized_score"] for r in rows if r["split"] == split}
        ranked = sorted(scores.values())
        cut = ranked[int(np.floor(0.25 * len(ranked))) - 1]
        expected = sorted(i for i, s in scores.items() if s <= cut)
        failure_ids = sorted(i.decode() for b in record_batches(
            split_file_pattern(report["paths"]["failures"], split), 64) for i in b["id"])
        assert failure_ids == expected and phases["failures"][split] == len(expected) > 0, split
    for model in ("base", "finetuned", "discriminator"):
        assert os.path.exists(os.path.join(report["paths"]["models"], model, "config.json"))


def _constant_records(folder, l_value: float, count: int, size: int = 64) -> str:
    from colordisc_tf.data.record_format import encode_lab_example
    from colordisc_tf.data.tfrecord_io import write_records

    rng = np.random.default_rng(int(l_value))
    records = [encode_lab_example(np.concatenate([np.full((size, size, 1), l_value), rng.uniform(-40, 40, (size, size, 2))],
                                                 -1), f"{l_value:.0f}_{i}", "/x.png", size, size) for i in range(count)]
    write_records(str(folder / "Split-train" / "data.gz"), records)
    return str(folder / "Split-train" / "*")


def test_the_numpy_reader_feeds_finetuning_and_the_discriminator_as_tf_data_does(tmp_path, monkeypatch):
    """The NumPy path's compositions: fine-tuning's failures / ordinary mix at the config's share
    (the tf.data path's test: test_production_defaults), and the discriminator's half real, half
    colorized batches with their labels."""
    from colordisc_tf.config import DiscriminatorConfig, FineTuneConfig
    from colordisc_tf.train.discriminator import real_colorized_dataset
    from colordisc_tf.train.finetune import finetune_dataset

    monkeypatch.setenv("COLORDISC_RECORD_READER", "numpy")
    failures = _constant_records(tmp_path / "failures", 20.0, 12)
    ordinary = _constant_records(tmp_path / "ordinary", 80.0, 12)
    config = FineTuneConfig(batch_size=16, crop_size=32, mix_ordinary=0.25)
    batches = finetune_dataset(failures, ordinary, config)
    assert not hasattr(batches, "take")  # NumPy batches, not a tf.data dataset
    share = []
    for (inputs, targets), _ in zip(batches, range(40)):
        assert inputs["L"].shape == (16, 32, 32, 1) and targets["logits"].shape == (16, 32, 32, 2)
        assert set(inputs) == {"L"} and set(targets) == {"logits", "adv"}
        source = inputs["L"].mean(axis=(1, 2, 3))
        assert set(np.round(source)) <= {20.0, 80.0}
        share.append(np.mean(source > 50))
    assert abs(np.mean(share) - 0.25) < 0.06, np.mean(share)  # 640 crops: standard error 0.017

    pairs = real_colorized_dataset(ordinary, failures, DiscriminatorConfig(batch_size=8, crop_size=32), training=True)
    lab, labels = next(iter(pairs))
    assert lab.shape == (8, 32, 32, 3)
    np.testing.assert_array_equal(labels, [1, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(lab[:4, ..., 0].mean(axis=(1, 2)), 80.0, atol=0.2)  # the real half first
    np.testing.assert_allclose(lab[4:, ..., 0].mean(axis=(1, 2)), 20.0, atol=0.2)
