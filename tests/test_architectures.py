"""generator.arch: the config checks it against the registry (one line naming the key and the
choices), the trainer builds what it names, and saving finds an architecture's custom layers by
their Keras registration in a process that never built a model."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from colordisc_tf.config import ConfigError, GeneratorConfig, from_dict, load_config
from colordisc_tf.models.architectures import ARCHITECTURES, build_architecture

# A second architecture as a newcomer would add one: its own module, a custom layer registered with
# Keras, one line in ARCHITECTURES (added here by the test).
_TOY = textwrap.dedent('''
    import keras
    from keras import layers

    @keras.saving.register_keras_serializable(package="toy_arch")
    class Quarter(layers.Layer):
        def call(self, x):
            return x[:, ::4, ::4, :]

    def build(width, head="classification"):
        inputs = keras.Input((None, None, 1), name="L")
        x = layers.Conv2D(max(4, int(32 * width)), 3, padding="same")(inputs)
        out = layers.Conv2D(313 if head == "classification" else 2, 1)(Quarter()(x))
        return keras.Model(inputs, out, name="toy_generator")
''')


def test_arch_defaults_to_eccv16_and_an_unknown_one_is_named_with_the_choices(tmp_path):
    assert GeneratorConfig().arch == "eccv16" and "eccv16" in ARCHITECTURES
    with pytest.raises(ConfigError, match=r"^generator\.arch: must be one of 'eccv16', got 'unet'$"):
        load_config(overrides={"generator": {"arch": "unet"}})
    # a config.json written before the field existed still loads, as eccv16
    assert from_dict(GeneratorConfig, {"width": 0.25}).arch == "eccv16"
    with pytest.raises(ValueError, match="generator.arch must be one of"):
        build_architecture("unet")


def test_eccv16_by_name_is_build_generator():
    from colordisc_tf.models import build_generator

    by_name, direct = build_architecture("eccv16", 0.0625, head="l2"), build_generator(0.0625, head="l2")
    assert [(w.path, w.shape) for w in by_name.weights] == [(w.path, w.shape) for w in direct.weights]


def test_a_registered_architecture_is_trained_saved_and_loaded_in_a_fresh_process(tmp_path, monkeypatch):
    """train_generator builds what generator.arch names; a fresh process that has never imported
    the architecture loads the saved file: saving imports the registered modules, and Keras finds
    the custom layer by its registered name (no hand list of layers)."""
    import tensorflow as tf

    from colordisc_tf.data.record_format import encode_lab_example
    from colordisc_tf.serve.saving import save_generator
    from colordisc_tf.train.generator import train_generator

    (tmp_path / "toy_arch.py").write_text(_TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ARCHITECTURES, "toy", "toy_arch:build")
    rng = np.random.default_rng(0)
    path = tmp_path / "records" / "data.gz"
    path.parent.mkdir()
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for i in range(4):
            lab = np.concatenate([rng.uniform(20, 80, (16, 16, 1)), rng.uniform(-40, 40, (16, 16, 2))], -1)
            writer.write(encode_lab_example(lab, f"img{i}", "/x.png", 16, 16))
    config = GeneratorConfig(arch="toy", crop_size=16, batch_size=2, steps=2, steps_per_epoch=2, eval_batches=0,
                             image_every=0)
    model, _ = train_generator(config, str(path), None, str(tmp_path / "train"))
    assert model.name == "toy_generator"
    save_generator(model, config, str(tmp_path / "model"), export=False)
    assert json.loads((tmp_path / "model" / "config.json").read_text())["arch"] == "toy"

    probe = textwrap.dedent(f'''
        import sys
        import numpy as np
        from colordisc_tf.models.architectures import ARCHITECTURES
        ARCHITECTURES["toy"] = "toy_arch:build"
        from colordisc_tf.serve.saving import load_generator
        assert "toy_arch" not in sys.modules
        model, config = load_generator({str(tmp_path / "model")!r})
        print(config.arch, type(model.layers[2]).__module__, model(np.zeros((1, 16, 16, 1), "float32")).shape)
    ''')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "toy toy_arch (1, 4, 4, 313)"
