"""A generator's settings travel with it: one trained at a non-default temperature is
decoded at that temperature by serving, the CLI, the Colorize component and the
before/after evaluation, without anyone passing it."""

import io

import numpy as np
import pytest
from decode_oracle import AB_BINS, decoded_ab

from colordisc_tf.config import Decoding, DiscriminatorConfig, GeneratorConfig
from colordisc_tf.models import build_discriminator, build_generator

TEMPERATURE = 0.9  # not the default 0.38: a consumer that re-types the default decodes visibly differently


def _planted_generator():
    """Peaked on a red and a blue bin, so the temperature moves the colours a lot."""
    import keras

    keras.utils.set_random_seed(1)
    generator = build_generator(0.0625)
    head = generator.get_layer("conv8_313")
    kernel, bias = head.get_weights()
    bias[:] = 0.0
    bias[int(np.argmin(np.linalg.norm(AB_BINS - [60, 40], axis=1)))] = 4.0
    bias[int(np.argmin(np.linalg.norm(AB_BINS - [10, -60], axis=1)))] = 3.4
    head.set_weights([kernel * 0.2, bias])
    return generator


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from colordisc_tf.serve.saving import save_generator

    root = tmp_path_factory.mktemp("travel")
    config = GeneratorConfig(width=0.0625, serving_size=32, temperature=TEMPERATURE)
    save_generator(_planted_generator(), config, str(root / "generator"))
    return root


def _decode(root, l_chan, temperature):
    """The oracle: the saved Keras generator decoded at an explicit temperature."""
    from colordisc_tf.serve import inference
    from colordisc_tf.serve.saving import load_generator

    generator, _ = load_generator(str(root / "generator"))
    return inference.predict_ab(generator, l_chan, Decoding(temperature)).numpy()


def _png(size=32):
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = np.clip(np.linspace(40, 210, size)[None, :, None] + rng.normal(0, 15, (size, size, 3)), 0, 255)
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _mean_ab_error(rgb_png_bytes, l_chan, ab):
    from PIL import Image
    from skimage import color as skcolor

    rgb = np.asarray(Image.open(io.BytesIO(rgb_png_bytes)).convert("RGB")) / 255.0
    return float(np.abs(skcolor.rgb2lab(rgb)[..., 1:] - ab).mean())


def test_serving_and_cli_decode_at_the_generators_temperature(saved, tmp_path):
    import tensorflow as tf
    from PIL import Image
    from skimage import color as skcolor

    from pipelines.cli import main

    png = _png()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "probe.png").write_bytes(png)
    l_chan = skcolor.rgb2lab(np.asarray(Image.open(io.BytesIO(png))) / 255.0)[None, ..., :1].astype("float32")
    at_own, at_default = _decode(saved, l_chan, TEMPERATURE)[0], _decode(saved, l_chan, 0.38)[0]
    assert np.abs(at_own - at_default).mean() > 5  # the two temperatures are far apart here

    serve = tf.saved_model.load(str(saved / "generator" / "serving")).signatures["serving_default"]
    served = serve(images=tf.constant([png]))["colorized"].numpy()[0]
    assert _mean_ab_error(served, l_chan, at_own) < 2.0 < _mean_ab_error(served, l_chan, at_default)

    assert main(["colorize", "--model", str(saved / "generator"), str(tmp_path / "in"),
                 "--output", str(tmp_path / "out")]) == 0
    written = (tmp_path / "out" / "probe.png").read_bytes()
    assert _mean_ab_error(written, l_chan, at_own) < 2.0 < _mean_ab_error(written, l_chan, at_default)


def test_colorize_component_and_evaluation_decode_at_the_generators_temperature(saved, tiny_data, tmp_path):
    import tensorflow as tf
    from tfx.types import artifact_utils, standard_artifacts

    from colordisc_tf import metrics
    from colordisc_tf.evaluate.before_after import compare_generators
    from colordisc_tf.config import BlessingConfig
    from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern
    from colordisc_tf.serve.saving import load_generator
    from components.colorize import Executor

    examples = standard_artifacts.Examples()
    examples.uri = tiny_data["examples"]
    examples.split_names = artifact_utils.encode_split_names(["eval"])
    model = standard_artifacts.Model()
    model.uri = str(saved / "generator")
    colorized = standard_artifacts.Examples()
    colorized.uri = str(tmp_path / "colorized")
    Executor().Do({"examples": [examples], "model": [model]}, {"colorized": [colorized]}, {"batch_size": 16})

    files = tf.io.gfile.glob(split_file_pattern(colorized.uri, "eval"))
    records = [decode_lab_example(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    lab = np.stack([r["lab"] for r in records]).astype("float32")
    at_own, at_default = _decode(saved, lab[..., :1], TEMPERATURE), _decode(saved, lab[..., :1], 0.38)
    assert np.abs(lab[..., 1:] - at_own).mean() < 1.0 < np.abs(lab[..., 1:] - at_default).mean()

    discriminator = (build_discriminator(width=8, depth=2), DiscriminatorConfig(width=8, depth=2))
    generator = load_generator(str(saved / "generator"))
    assert generator[1].temperature == TEMPERATURE
    report, _ = compare_generators(generator, generator, discriminator, tiny_data["examples"], tiny_data["examples"],
                                   blessing=BlessingConfig(retrain_discriminator_steps=0))
    real = [decode_lab_example(r.numpy())["lab"] for r in tf.data.TFRecordDataset(
        tf.io.gfile.glob(tiny_data["eval"]), compression_type="GZIP")]
    real = np.stack(real).astype("float32")
    expected = metrics.auc_raw_accuracy(_decode(saved, real[..., :1], TEMPERATURE), real[..., 1:])
    wrong = metrics.auc_raw_accuracy(_decode(saved, real[..., :1], 0.38), real[..., 1:])
    assert report["sets"]["eval_all"]["base"]["auc_raw"] == pytest.approx(expected, abs=1e-3)
    assert abs(expected - wrong) > 0.1


GAIN = 1.6  # a chroma gain (Decoding.chroma_gain: the starter's is fitted on its hold-out)


def test_the_chroma_gain_scales_the_annealed_mean_as_numpy_computes_it():
    from colordisc_tf.color.keras_ops import decode_output

    logits = np.random.default_rng(3).normal(0, 2, (2, 3, 4, 313)).astype("float32")
    oracle = decoded_ab(logits, TEMPERATURE)
    for gain in (1.0, GAIN):
        got = np.asarray(decode_output(logits, Decoding(TEMPERATURE, chroma_gain=gain)))
        np.testing.assert_allclose(got, gain * oracle, atol=1e-3)
    with pytest.raises(ValueError, match="chroma_gain"):
        Decoding(chroma_gain=0.0)


def test_a_chroma_gain_travels_with_the_generator_into_serving_and_to_what_starts_from_it(saved, tmp_path):
    import tensorflow as tf

    from colordisc_tf.serve.saving import load_generator, save_generator

    generator, _ = load_generator(str(saved / "generator"))
    gained = tmp_path / "gained"
    save_generator(generator, GeneratorConfig(width=0.0625, serving_size=32, temperature=TEMPERATURE,
                                              chroma_gain=GAIN), str(gained))
    l_chan = np.linspace(20, 80, 32 * 32, dtype="float32").reshape(1, 32, 32, 1)
    at_one = _decode(saved, l_chan, TEMPERATURE)
    loaded = tf.saved_model.load(str(gained / "serving"))
    served = loaded.signatures["colorize_lab"](L=tf.constant(l_chan))["ab"].numpy()
    np.testing.assert_allclose(served, GAIN * at_one, atol=0.05)
    settings = {k: v.numpy() for k, v in loaded.signatures["settings"]().items()}
    assert Decoding.from_settings(settings) == Decoding(TEMPERATURE, "classification", GAIN)
    _decoding_setting_travels(gained, "chroma_gain", GAIN, 1.0, generator, tmp_path)


def _decoding_setting_travels(model_dir, key, value, default, generator, tmp_path):
    """Decoding's `key`, saved as `value` with the generator in model_dir, is what its Keras model and its
    SavedModel decode with; a SavedModel exported before `key` existed decodes with `default`; a generator
    started from it keeps `value` unless its config says another, and saves it as a number."""
    import json

    from colordisc_tf.serve.model_ref import load_generator_network, resolve_model
    from colordisc_tf.serve.saving import save_generator

    for form in (str(model_dir), str(model_dir / "serving")):
        assert getattr(load_generator_network(resolve_model(form, "generator")).decoding, key) == value
    assert getattr(Decoding.from_settings({"temperature": np.float64(0.5), "head": b"classification"}), key) == default

    follower = GeneratorConfig(width=0.0625, init=str(model_dir), steps=0)
    assert getattr(follower.decoding, key) == value
    assert getattr(GeneratorConfig(width=0.0625, init=str(model_dir), steps=0, **{key: default}).decoding, key) == default
    assert getattr(GeneratorConfig(width=0.0625).decoding, key) == default
    save_generator(generator, follower, str(tmp_path / "follower"), export=False)
    assert json.loads((tmp_path / "follower" / "config.json").read_text())[key] == value


POWER = 2.5  # a confidence power (Decoding.confidence_power: the starter colours more where it is sure)


def test_the_confidence_power_colours_unsure_pixels_less_as_numpy_computes_it():
    from colordisc_tf.color.keras_ops import decode_output
    from colordisc_tf.config import ConfigError

    logits = np.random.default_rng(4).normal(0, 2, (2, 3, 4, 313)).astype("float32")
    logits[0, 0, 0, 7] += 12.0  # sure of one bin: confidence near 1, more colour than the gain alone
    logits[1, 2, 3] = 0.0  # uniform: confidence 0, no colour at all
    for power in (0.0, 1.0, POWER):
        got = np.asarray(decode_output(logits, Decoding(TEMPERATURE, chroma_gain=GAIN, confidence_power=power)))
        np.testing.assert_allclose(got, decoded_ab(logits, TEMPERATURE, GAIN, power), atol=2e-3, rtol=1e-5)
    plain, gated = (np.asarray(decode_output(logits, Decoding(TEMPERATURE, confidence_power=p))) for p in (0.0, POWER))
    assert np.abs(gated[1, 2, 3]).max() < 1e-3 < np.abs(plain[1, 2, 3]).max()
    assert np.linalg.norm(gated[0, 0, 0]) > 1.5 * np.linalg.norm(plain[0, 0, 0])
    same = np.broadcast_to(logits[0, 1, 1], (1, 3, 4, 313)).copy()  # one confidence everywhere: the gain alone
    np.testing.assert_allclose(decode_output(same, Decoding(TEMPERATURE, confidence_power=POWER)),
                               decode_output(same, Decoding(TEMPERATURE)), atol=1e-3)
    flat = np.zeros((1, 3, 4, 313), "float32")  # no confidence anywhere: no colour, and no NaN
    assert np.abs(np.asarray(decode_output(flat, Decoding(confidence_power=POWER)))).max() < 1e-3
    with pytest.raises(ValueError, match="confidence_power"):
        Decoding(confidence_power=-1.0)
    with pytest.raises(ValueError, match="'l2' head"):
        Decoding(head="l2", confidence_power=1.0)
    with pytest.raises(ConfigError, match="confidence_power"):
        GeneratorConfig(head="l2", confidence_power=1.0)


def test_a_confidence_power_travels_with_the_generator_into_serving_and_to_what_starts_from_it(saved, tmp_path):
    import keras
    import tensorflow as tf
    from spread_models import spread_like_trained

    from colordisc_tf.serve.saving import save_generator

    keras.utils.set_random_seed(2)
    generator = build_generator(0.0625)
    spread_like_trained(generator)  # confidence varies across the image: the gate has something to move
    gated = tmp_path / "gated"
    save_generator(generator, GeneratorConfig(width=0.0625, serving_size=32, temperature=TEMPERATURE, chroma_gain=GAIN,
                                              confidence_power=POWER), str(gated))
    l_chan = np.random.default_rng(5).uniform(0, 100, (1, 32, 32, 1)).astype("float32")
    oracle = tf.image.resize(decoded_ab(generator(l_chan, training=False), TEMPERATURE, GAIN, POWER), (32, 32),
                             method="bilinear").numpy()
    loaded = tf.saved_model.load(str(gated / "serving"))
    served = loaded.signatures["colorize_lab"](L=tf.constant(l_chan))["ab"].numpy()
    np.testing.assert_allclose(served, oracle, atol=0.05)
    ungated = tf.image.resize(decoded_ab(generator(l_chan, training=False), TEMPERATURE, GAIN, 0.0), (32, 32),
                              method="bilinear").numpy()
    assert np.abs(served - ungated).max() > 5.0  # the gate did something
    settings = {k: v.numpy() for k, v in loaded.signatures["settings"]().items()}
    assert Decoding.from_settings(settings) == Decoding(TEMPERATURE, "classification", GAIN, POWER)
    _decoding_setting_travels(gated, "confidence_power", POWER, 0.0, generator, tmp_path)
    # an init saved before confidence_power existed (its config has none): 0
    assert GeneratorConfig(width=0.0625, init=str(saved / "generator"), steps=0).decoding.confidence_power == 0
