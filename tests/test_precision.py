"""Mixed precision (bf16 compute, float32 weights and outputs) for all three trainers, on CPU."""

import json

import numpy as np
import pytest

from colordisc_tf.config import ConfigError, Decoding, DiscriminatorConfig, FineTuneConfig, GeneratorConfig, load_config
from colordisc_tf.models import build_discriminator, build_generator
from colordisc_tf.models.precision import at_precision, model_precision, resolve_precision


def _l(n=2, size=32, seed=0):
    return np.random.default_rng(seed).uniform(0, 100, (n, size, size, 1)).astype("float32")


@pytest.mark.parametrize("section", ["generator", "discriminator", "finetune"])
def test_precision_is_validated_naming_the_key(section):
    with pytest.raises(ConfigError, match=rf"{section}\.precision: must be float32 or mixed_bfloat16 or auto"):
        load_config(overrides={section: {"precision": "float16"}})
    assert load_config(overrides={section: {"precision": "mixed_bfloat16"}})


def test_auto_is_float32_without_bf16_hardware_and_unknown_names_fail(monkeypatch):
    from colordisc_tf.models import precision

    monkeypatch.setattr(precision, "_bf16_hardware", lambda: False)
    assert resolve_precision("auto") == "float32"
    monkeypatch.setattr(precision, "_bf16_hardware", lambda: True)
    assert resolve_precision("auto") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("bf16")


@pytest.mark.parametrize("build", [lambda: build_generator(0.125), lambda: build_discriminator(8, depth=2)])
def test_a_bf16_copy_computes_in_bf16_keeps_the_weights_and_returns_float32(build):
    model = build()
    x = _l() if model.input_shape[-1] == 1 else np.concatenate([_l(), _l(seed=1) - 50, _l(seed=2) - 50], -1)
    bf16 = at_precision(model, "mixed_bfloat16")
    assert model_precision(model) == "float32" and model_precision(bf16) == "mixed_bfloat16"
    assert at_precision(bf16, "mixed_bfloat16") is bf16  # nothing to do: the same object
    # The convolutions compute in bf16 (inner layers of wrappers too), the output layer in float32.
    convs = [layer for layer in bf16.layers if "Conv" in type(getattr(layer, "layer", layer)).__name__]
    assert convs and all(getattr(c, "layer", c).compute_dtype == "bfloat16" for c in convs)
    for a, b in zip(model.get_weights(), bf16.get_weights()):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    # Give the float32 model outputs far from zero, so the comparison is not of tiny numbers.
    model.set_weights([w + 0.05 * np.sign(w) if w.ndim == 4 else w for w in model.get_weights()])
    bf16 = at_precision(model, "mixed_bfloat16")
    ref, out = np.asarray(model(x)), np.asarray(bf16(x))
    assert out.dtype == np.float32
    rel = np.linalg.norm(out - ref) / np.linalg.norm(ref)
    assert 1e-5 < rel < 5e-2, rel  # bf16 arithmetic: not float32's, but close
    back = at_precision(bf16, "float32")
    np.testing.assert_array_equal(np.asarray(back(x)), ref)


@pytest.mark.slow  # ~70 s on 2 cores (bf16 is emulated on most CPUs); the bf16 copy tests above stay fast
def test_a_bf16_generator_trains_and_exports_float32(tiny_data, tmp_path):
    import tensorflow as tf

    from colordisc_tf.serve.inference import predict_ab
    from colordisc_tf.serve.saving import load_generator, save_generator
    from colordisc_tf.train.generator import train_generator

    config = GeneratorConfig(width=0.125, crop_size=32, batch_size=16, steps=120, steps_per_epoch=40,
                             learning_rate=2e-3, eval_batches=4, image_every=0, serving_size=32,
                             precision="mixed_bfloat16")
    model, history = train_generator(config, tiny_data["train"], tiny_data["eval"], str(tmp_path / "train"),
                                     weights=tiny_data["prior"].weights)
    assert model_precision(model) == "mixed_bfloat16"
    assert history["loss"][-1] < 0.9 * history["loss"][0], history["loss"]
    serving = save_generator(model, config, str(tmp_path / "model"))
    saved, saved_config = load_generator(str(tmp_path / "model"))
    assert model_precision(saved) == "float32" and saved_config.precision == "mixed_bfloat16"
    l_chan = _l(3, 40)
    ab = tf.saved_model.load(serving).signatures["colorize_lab"](L=tf.constant(l_chan))["ab"]
    assert ab.dtype == tf.float32 and ab.shape == (3, 40, 40, 2)
    # The float32 artifact colorizes as the bf16 model it was saved from, within bf16 rounding.
    trained = np.asarray(predict_ab(model, l_chan, Decoding()))
    np.testing.assert_allclose(ab.numpy(), trained, atol=0.05 * np.abs(trained).max() + 0.5)


def test_a_bf16_discriminator_trains(tiny_data, tmp_path):
    import keras

    from colordisc_tf.data.records import lab_dataset
    from colordisc_tf.train.discriminator import PatchBCE

    l_chan, ab = (t.numpy() for t in next(iter(lab_dataset(tiny_data["train"], 64, crop_size=24))))
    lab = np.concatenate([np.concatenate([l_chan, ab], -1), np.concatenate([l_chan, ab * 0.3], -1)])
    labels = np.concatenate([np.ones(64), np.zeros(64)]).astype("float32")
    keras.utils.set_random_seed(0)
    discriminator = at_precision(build_discriminator(16, depth=2), DiscriminatorConfig(precision="mixed_bfloat16").precision)
    discriminator.compile(keras.optimizers.Adam(2e-3, beta_1=0.5), loss=PatchBCE())
    history = discriminator.fit(lab, labels, batch_size=32, epochs=15, shuffle=True, verbose=0).history["loss"]
    assert history[-1] < 0.9 * history[0], history


def test_bf16_ttur_finetune_updates_the_callers_models(tiny_data, tmp_path):
    import tensorflow as tf

    from colordisc_tf.train.finetune import adversarial_batch, finetune_generator
    from colordisc_tf.data.records import lab_dataset

    generator, discriminator = build_generator(0.0625), build_discriminator(8, depth=2)
    before = [w.copy() for w in generator.get_weights()], [w.copy() for w in discriminator.get_weights()]
    config = FineTuneConfig(steps=6, steps_per_epoch=3, batch_size=8, crop_size=32, discriminator_learning_rate=1e-3,
                            precision="mixed_bfloat16")
    l_chan, ab = next(iter(lab_dataset(tiny_data["train"], 16, crop_size=32)))
    data = tf.data.Dataset.from_tensor_slices(adversarial_batch(l_chan, ab, True)).repeat().batch(8)
    history = finetune_generator(config, generator, discriminator, data, str(tmp_path), Decoding())
    assert history["steps"] == 6 and np.isfinite(history["loss"]).all()
    assert model_precision(generator) == "float32"  # the caller's models keep their precision...
    for old, model in zip(before, (generator, discriminator)):  # ...and get the trained weights
        assert max(np.abs(a - b).max() for a, b in zip(old, model.get_weights())) > 0
    with open(tmp_path / "history.json") as f:
        assert json.load(f)["steps"] == 6
