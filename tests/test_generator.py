import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from colordisc_tf import color
from killing import stop_after_steps
from colordisc_tf.config import ConfigError, Decoding, from_dict, GeneratorConfig
from colordisc_tf.train.losses import L2AbLoss, RebalancedCrossEntropy, decoded_ab_error, rebalanced_cross_entropy
from decode_oracle import decoded_ab
from colordisc_tf.models import build_generator

REFERENCE_PARAMS = 32_236_011  # Zhang et al.'s eccv16, incl. its 313->2 decoding conv (626)


def test_parameter_count_at_width_one():
    model = build_generator(1.0)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert abs(trainable - REFERENCE_PARAMS) / REFERENCE_PARAMS < 1e-3
    assert trainable == REFERENCE_PARAMS - 313 * 2  # exactly the reference minus its decode conv


@pytest.mark.parametrize("height, width", [(64, 64), (32, 48), (60, 44), (33, 17), (8, 8)])
def test_output_shapes(height, width):
    model = build_generator(0.0625)
    out = model(np.random.default_rng(0).uniform(0, 100, (2, height, width, 1)).astype(np.float32))
    assert out.shape == (2, -(-height // 4), -(-width // 4), 313)
    l2 = build_generator(0.0625, head="l2")
    assert l2(np.zeros((1, height, width, 1), np.float32)).shape == (1, -(-height // 4), -(-width // 4), 2)


def test_width_scales_parameters():
    assert build_generator(0.125).count_params() < build_generator(0.25).count_params() / 3


def _numpy_loss(ab, logits, weights, k=5, sigma=5.0):
    """Independent re-computation with loops and brute-force nearest bins."""
    b, h4, w4, q = logits.shape
    f = ab.shape[1] // h4
    total = 0.0
    for i in range(b):
        has_chroma = np.abs(ab[i]).max() > 5
        for y in range(h4):
            for x in range(w4):
                target_ab = ab[i, y * f:(y + 1) * f, x * f:(x + 1) * f].reshape(-1, 2).mean(0)
                d2 = ((color.AB_BINS - target_ab) ** 2).sum(-1)
                near = np.argsort(d2, kind="stable")[:k]
                z = np.zeros(q)
                z[near] = np.exp(-d2[near] / (2 * sigma**2))
                z /= z.sum()
                logp = logits[i, y, x] - np.log(np.exp(logits[i, y, x] - logits[i, y, x].max()).sum()) - logits[i, y, x].max()
                w = 1.0 if weights is None else weights[near[0]]
                total += has_chroma * w * -(z * logp).sum()
    return total / (b * h4 * w4)


def _loss_case(seed=0):
    rng = np.random.default_rng(seed)
    ab = rng.uniform(-60, 60, (2, 8, 8, 2)).astype(np.float32)
    logits = rng.normal(0, 2, (2, 2, 2, 313)).astype(np.float32)
    return ab, logits


def test_loss_matches_numpy():
    ab, logits = _loss_case()
    weights = np.random.default_rng(1).uniform(0.2, 5, 313).astype(np.float32)
    for w in (None, weights):
        got = float(rebalanced_cross_entropy(ab, logits, w))
        assert got == pytest.approx(_numpy_loss(ab, logits, w), rel=1e-4)


def test_rebalancing_changes_loss_as_expected():
    ab, logits = _loss_case(2)
    plain = float(rebalanced_cross_entropy(ab, logits, None))
    assert float(rebalanced_cross_entropy(ab, logits, np.full(313, 2.0, np.float32))) == pytest.approx(2 * plain, rel=1e-5)
    # Up-weighting exactly the bins these pixels fall in raises the loss; other bins do nothing.
    small = ab.reshape(2, 2, 4, 2, 4, 2).mean((2, 4))
    hit = np.unique(color.nearest_bin(small.astype(np.float32)))
    w = np.ones(313, np.float32)
    w[hit] = 3.0
    assert float(rebalanced_cross_entropy(ab, logits, w)) == pytest.approx(3 * plain, rel=1e-5)
    w = np.full(313, 3.0, np.float32)
    w[hit] = 1.0
    assert float(rebalanced_cross_entropy(ab, logits, w)) == pytest.approx(plain, rel=1e-5)


def test_gray_images_get_zero_weight():
    ab, logits = _loss_case(3)
    ab[1] = np.clip(ab[1], -4, 4)  # image 1 has no chroma
    both = float(rebalanced_cross_entropy(ab, logits, None))
    first_only = float(rebalanced_cross_entropy(ab[:1], logits[:1], None))
    assert both == pytest.approx(first_only / 2, rel=1e-5)


def test_loss_classes_serialize():
    loss = RebalancedCrossEntropy(np.ones(313), k=10)
    again = RebalancedCrossEntropy.from_config(loss.get_config())
    assert again.k == 10 and again.class_weights.shape == (313,)
    ab, _ = _loss_case()
    assert float(L2AbLoss()(ab, np.zeros((2, 2, 2, 2), np.float32))) > 0


def _numpy_decoded_error(ab, logits, temperature, gain, power):
    """decoded_ab_error re-computed: the oracle's served decoding against the block means of ab."""
    f = ab.shape[1] // logits.shape[1]
    b, h, w, _ = logits.shape
    truth = ab.reshape(b, h, f, w, f, 2).mean((2, 4))
    d = np.sqrt(((decoded_ab(logits, temperature, gain, power) - truth) ** 2).sum(-1) + 1.0)
    return np.minimum(d, 150.0).mean() / 10.0


@pytest.mark.parametrize("temperature, gain, power", [(0.38, 1.0, 0.0), (0.38, 1.7, 3.0), (1.0, 0.6, 1.5)])
def test_decoded_error_term_matches_numpy(temperature, gain, power):
    ab, logits = _loss_case(4)
    ab[0, :4] *= 4  # some errors past the 150 cap
    decoding = {"temperature": temperature, "chroma_gain": gain, "confidence_power": power}
    expected = _numpy_decoded_error(ab, logits, temperature, gain, power)
    assert float(decoded_ab_error(ab, logits, Decoding(**decoding))) == pytest.approx(expected, rel=1e-4)
    plain = float(rebalanced_cross_entropy(ab, logits, None))
    combined = RebalancedCrossEntropy(None, decoded_weight=2.5, decoding=decoding)
    assert float(combined(ab, logits)) == pytest.approx(plain + 2.5 * expected, rel=1e-4)
    again = RebalancedCrossEntropy.from_config(combined.get_config())
    assert float(again(ab, logits)) == pytest.approx(float(combined(ab, logits)), rel=1e-6)


def test_decoded_error_weight_reaches_the_trainers_loss(tiny_data, tmp_path):
    from colordisc_tf.train.generator import train_generator

    config = GeneratorConfig(width=0.0625, crop_size=32, batch_size=8, steps=2, steps_per_epoch=2, eval_batches=0,
                             decoded_error_weight=0.5, confidence_power=2.0, chroma_gain=1.3)
    model, _ = train_generator(config, tiny_data["train"], None, str(tmp_path))
    assert model.loss.decoded_weight == 0.5
    assert model.loss.decoding == config.decoding
    for bad in ({"decoded_error_weight": -1.0}, {"decoded_error_weight": 1.0, "head": "l2"}):
        with pytest.raises(ConfigError, match="decoded_error_weight"):
            GeneratorConfig(**bad)


def test_config_is_strict():
    with pytest.raises(ConfigError, match="unknown config key.*widht"):
        from_dict(GeneratorConfig, {"widht": 0.5})
    with pytest.raises(ConfigError, match="steps: expected int"):
        from_dict(GeneratorConfig, {"steps": "many"})
    with pytest.raises(ConfigError, match="multiple of 8"):
        from_dict(GeneratorConfig, {"crop_size": 30})
    assert from_dict(GeneratorConfig, {"width": 1}).width == 1.0


def _gray_auc(tiny_data):
    from colordisc_tf import metrics
    from colordisc_tf.data.records import lab_dataset

    ab = np.concatenate([b[1].numpy() for b in lab_dataset(tiny_data["eval"], 64)])
    return metrics.auc_rebalanced(np.zeros_like(ab), ab, tiny_data["prior"].prior)


def test_tiny_generator_learns(tiny_data, tmp_path):
    from colordisc_tf.train.generator import train_generator

    config = GeneratorConfig(width=0.125, crop_size=32, batch_size=16, steps=200, steps_per_epoch=100,
                             learning_rate=2e-3, eval_batches=8, image_every=2)
    prior = tiny_data["prior"]
    _, history = train_generator(config, tiny_data["train"], tiny_data["eval"], str(tmp_path),
                                 prior=prior.prior, weights=prior.weights)
    assert history["steps"] == 200
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert history["auc_rebalanced"][-1] > _gray_auc(tiny_data)
    assert (tmp_path / "history.json").exists()
    assert any(f.startswith("events") for f in os.listdir(tmp_path / "logs" / "eval"))


def test_ema_momentum_returns_the_moving_average_of_the_steps_weights(tiny_data, tmp_path):
    import keras

    from colordisc_tf.train.generator import train_generator

    momentum, raw = 0.7, []

    class EveryStep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raw.append([w.copy() for w in self.model.get_weights()])

    config = GeneratorConfig(width=0.0625, crop_size=32, batch_size=8, steps=6, steps_per_epoch=3, eval_batches=0,
                             ema_momentum=momentum)
    model, _ = train_generator(config, tiny_data["train"], None, str(tmp_path), callbacks=[EveryStep()])
    trainable = {id(v) for v in model.trainable_weights}
    is_trainable = [id(v) in trainable for v in model.weights]
    # NumPy oracle: Keras' EMA starts at the first step's weights, then avg = m * avg + (1 - m) * w
    average = raw[0]
    for step in raw[1:]:
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, step)]
    final = model.get_weights()
    for got, ema, last, trained in zip(final, average, raw[-1], is_trainable):
        np.testing.assert_allclose(got, ema if trained else last, rtol=1e-4, atol=1e-6)
    assert any(t and not np.allclose(e, l) for e, l, t in zip(average, raw[-1], is_trainable))
    with pytest.raises(ConfigError, match="ema_momentum"):
        GeneratorConfig(ema_momentum=1.0)


@pytest.mark.slow  # 20 s: test_mechanics_training's killed run resumes to the same weights, which implies the step count
def test_killed_training_resumes_to_the_same_step_count(tiny_data, tmp_path):
    from colordisc_tf.train.generator import train_generator

    config = GeneratorConfig(width=0.0625, crop_size=32, batch_size=8, steps=8, steps_per_epoch=2, eval_batches=1)
    with pytest.raises(KeyboardInterrupt):
        train_generator(config, tiny_data["train"], tiny_data["eval"], str(tmp_path), callbacks=[stop_after_steps(5)])
    assert os.path.isdir(tmp_path / "backup")
    _, history = train_generator(config, tiny_data["train"], tiny_data["eval"], str(tmp_path))
    assert history["steps"] == 8
    assert len(history["loss"]) == 2  # resumed after epoch 2 of 4: ran epochs 3 and 4 only


def _png(h, w, seed=0):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_export_round_trip_in_a_fresh_process(tmp_path):
    from colordisc_tf.serve.export import export_generator

    model = build_generator(0.0625)
    export_dir = export_generator(model, str(tmp_path / "serving"), Decoding(), model_size=32, max_pixels=10_000)
    (tmp_path / "a.png").write_bytes(_png(45, 70))
    (tmp_path / "big.png").write_bytes(_png(120, 120))
    script = textwrap.dedent(f"""
        import io, json, numpy as np, tensorflow as tf
        from PIL import Image
        loaded = tf.saved_model.load({export_dir!r})
        serve = loaded.signatures["serving_default"]
        data = open({str(tmp_path / 'a.png')!r}, "rb").read()
        out = serve(images=tf.constant([data, data]))["colorized"].numpy()
        rest = loaded.signatures["serving_rest"](images=tf.constant([data]))["colorized_bytes"].numpy()
        assert rest[0] == out[0], "serving_rest answers what serving_default does"
        shapes = [np.asarray(Image.open(io.BytesIO(o))).shape for o in out]
        errors = {{}}
        for name, payload in (("garbage", b"not an image at all"), ("big", open({str(tmp_path / 'big.png')!r}, "rb").read())):
            try:
                serve(images=tf.constant([payload]))
                errors[name] = None
            except tf.errors.InvalidArgumentError as e:
                errors[name] = e.message
        ab = loaded.signatures["colorize_lab"](L=tf.zeros([1, 16, 24, 1]))["ab"].shape.as_list()
        print(json.dumps({{"shapes": shapes, "errors": errors, "ab": ab}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shapes"] == [[45, 70, 3], [45, 70, 3]]
    assert report["errors"]["garbage"] and "image" in report["errors"]["garbage"].lower()
    assert report["errors"]["big"] and "10000 pixels" in report["errors"]["big"]
    assert report["ab"] == [1, 16, 24, 2]


def test_serving_output_keeps_the_input_luminance(tiny_models):
    import io

    import tensorflow as tf
    from PIL import Image

    export_dir = str(tiny_models["generator"] / "serving")
    data = _png(40, 56, seed=3)
    out = tf.saved_model.load(export_dir).signatures["serving_default"](images=tf.constant([data]))["colorized"]
    colorized = np.asarray(Image.open(io.BytesIO(out.numpy()[0])))
    original = np.asarray(Image.open(io.BytesIO(data)))
    l_in = color.rgb_to_lab(original.astype(np.float32) / 255)[..., 0]
    l_out = color.rgb_to_lab(colorized.astype(np.float32) / 255)[..., 0]
    assert np.median(np.abs(l_in - l_out)) < 2.0  # L kept (up to gamut clipping)


def test_a_seeded_dataset_gives_the_same_batches_however_often_it_is_iterated(tiny_data):
    """Keras peeks at a dataset through an iterator of its own before training. The crops and
    flips of a seeded dataset must not depend on that (they once came from a shared random
    generator, advanced by whatever the peeking iterator had prefetched). No shuffle here: a
    seeded shuffle gives each new iterator the next permutation, by design."""
    from colordisc_tf.data.records import lab_dataset

    def make():
        return lab_dataset(tiny_data["train"], 8, crop_size=24, random_crop=True, random_flip=True,
                           repeat=True, seed=3, drop_remainder=True)

    fresh = [b[1].numpy() for b in make().take(3)]
    peeked = make()
    for _ in zip(range(2), iter(peeked)):  # another iterator runs ahead first
        pass
    again = [b[1].numpy() for b in peeked.take(3)]
    for a, b in zip(fresh, again):
        np.testing.assert_array_equal(a, b)
    other_seed = lab_dataset(tiny_data["train"], 8, crop_size=24, random_crop=True, random_flip=True,
                             repeat=True, seed=4, drop_remainder=True)
    assert not np.array_equal(next(iter(other_seed))[1].numpy(), fresh[0])
