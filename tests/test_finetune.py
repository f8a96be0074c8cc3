import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from colordisc_tf.config import Decoding, FineTuneConfig
from colordisc_tf.train.finetune import adversarial_batch, build_adversarial, compile_adversarial, finetune_generator
from colordisc_tf.models import build_discriminator, build_generator


def _batch(tiny_data, n=64, size=32):
    from colordisc_tf.data.records import lab_dataset

    l_chan, ab = next(iter(lab_dataset(tiny_data["train"], n, crop_size=size)))
    return l_chan.numpy(), ab.numpy()


def _losses(model, l_chan, ab):
    out = model.evaluate(*adversarial_batch(l_chan, ab), batch_size=len(ab), verbose=0, return_dict=True)
    return out["logits_loss"], out["adv_loss"]


def _repeat(l_chan, ab, batch_size, train_discriminator=False):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(adversarial_batch(l_chan, ab, train_discriminator)).repeat().batch(batch_size)


def test_finetune_lowers_adversarial_loss_with_ce_anchored(tiny_data, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    generator = build_generator(0.0625)
    discriminator = build_discriminator(width=8, depth=2)
    config = FineTuneConfig(steps=60, steps_per_epoch=20, batch_size=16, crop_size=32, learning_rate=1e-3,
                            lambda_adv=20.0)
    l_chan, ab = _batch(tiny_data)
    probe = compile_adversarial(build_adversarial(generator, discriminator, Decoding()), config, Decoding(), tiny_data["prior"].weights)
    ce_before, adv_before = _losses(probe, l_chan, ab)
    d_weights = [w.copy() for w in discriminator.get_weights()]
    history = finetune_generator(config, generator, discriminator, _repeat(l_chan, ab, config.batch_size),
                                 str(tmp_path), Decoding(), tiny_data["prior"].weights)
    ce_after, adv_after = _losses(probe, l_chan, ab)
    assert history["steps"] == 60
    assert adv_after < adv_before * 0.95, (adv_before, adv_after)  # measured: 0.675 -> 0.624
    assert ce_after < ce_before * 1.2, (ce_before, ce_after)  # the anchor holds
    for before, after in zip(d_weights, discriminator.get_weights()):
        np.testing.assert_array_equal(before, after)  # the discriminator stayed fixed


def test_finetune_under_a_mirrored_strategy(tiny_data, tmp_path):
    import tensorflow as tf

    from colordisc_tf.train.finetune import distribution_scope

    config = FineTuneConfig(steps=4, steps_per_epoch=2, batch_size=8, crop_size=32, strategy="mirrored")
    l_chan, ab = _batch(tiny_data, n=16)
    with distribution_scope(config.strategy):
        generator, discriminator = build_generator(0.0625), build_discriminator(width=8, depth=2)
        assert isinstance(tf.distribute.get_strategy(), tf.distribute.MirroredStrategy)
        history = finetune_generator(config, generator, discriminator, _repeat(l_chan, ab, 8), str(tmp_path), Decoding())
    assert history["steps"] == 4 and np.isfinite(history["loss"][-1])
    with pytest.raises(ValueError, match="strategy"):
        FineTuneConfig(strategy="tpu")


def test_multi_worker_mirrored_is_refused_at_load_naming_the_upstream_bug(tmp_path):
    import json

    from colordisc_tf.config import ConfigError, load_config

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"finetune": {"strategy": "multi_worker_mirrored"}}))
    with pytest.raises(ConfigError, match=r"finetune.strategy: multi_worker_mirrored is not supported.*keras#20585"):
        load_config(str(path))


def _weights_after(tiny_data, l_chan, ab, steps, **config):
    """Generator and discriminator weights after `steps` fine-tune steps from the same seed."""
    import keras

    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(0.0625), build_discriminator(width=8, depth=2)
    config = FineTuneConfig(**{"batch_size": 8, "crop_size": 32, "learning_rate": 1e-3, **config})
    model = build_adversarial(generator, discriminator, Decoding(), train_discriminator=config.discriminator_learning_rate > 0)
    model = compile_adversarial(model, config, Decoding(), tiny_data["prior"].weights)
    model.run_eagerly = steps <= 3  # a step or a few: tracing the train function would cost more than they do
    x, y = adversarial_batch(l_chan[:8], ab[:8], config.discriminator_learning_rate > 0)
    for _ in range(steps):
        logs = model.train_on_batch(x, y, return_dict=True)
    return generator.get_weights(), discriminator.get_weights(), logs


def _max_diff(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a, b))


def test_learning_discriminator_and_generator_each_get_only_their_own_loss(tiny_data):
    l_chan, ab = _batch(tiny_data, n=8)
    # The generator's adversarial term must not reach the discriminator: after one step (same
    # colorization in both runs) the discriminator is the same whatever lambda_adv is.
    g_quiet, d_quiet, _ = _weights_after(tiny_data, l_chan, ab, 1, discriminator_learning_rate=4e-3, lambda_adv=0.0)
    g_loud, d_loud, logs = _weights_after(tiny_data, l_chan, ab, 1, discriminator_learning_rate=4e-3, lambda_adv=100.0)
    assert {"discriminator_real_loss", "discriminator_colorized_loss", "adv_loss", "logits_loss"} <= set(logs)
    assert _max_diff(d_quiet, d_loud) == 0.0
    assert _max_diff(g_quiet, g_loud) > 1e-4  # ...while the generator does feel lambda_adv
    # The discriminator's loss must not reach the generator: with lambda_adv 0, a learning
    # discriminator leaves the generator's trajectory exactly that of a fixed one (CE only).
    g_ttur, d_ttur, _ = _weights_after(tiny_data, l_chan, ab, 3, discriminator_learning_rate=4e-3, lambda_adv=0.0)
    g_fixed, d_fixed, _ = _weights_after(tiny_data, l_chan, ab, 3, discriminator_learning_rate=0.0, lambda_adv=0.0)
    assert _max_diff(g_ttur, g_fixed) < 1e-6
    assert _max_diff(d_ttur, d_fixed) > 1e-3  # and the discriminator did learn


def test_learning_discriminator_separates_real_from_colorized(tiny_data):
    # Generator held still (learning rate 0): only the discriminator learns, on real vs colorized.
    l_chan, ab = _batch(tiny_data, n=8)
    runs = [_weights_after(tiny_data, l_chan, ab, steps, learning_rate=0.0, discriminator_learning_rate=2e-3)[2]
            for steps in (1, 40)]
    discriminator_loss = [logs["discriminator_real_loss"] + logs["discriminator_colorized_loss"] for logs in runs]
    assert discriminator_loss[0] > 1.2  # ~2 log 2 at the start
    assert discriminator_loss[1] < 0.5 * discriminator_loss[0], runs  # measured 1.39 -> 0.34
    # ...and the generator's view of the discriminator is the same discriminator: its "look real" loss rises
    assert runs[1]["adv_loss"] > 2 * runs[0]["adv_loss"], runs  # measured 0.67 -> 2.6


@pytest.mark.slow  # 40 s; test_mechanics_training covers a killed run resuming to the same weights
def test_killed_ttur_finetune_resumes_both_optimizers(tiny_data, tmp_path):
    from killing import stop_after_steps

    l_chan, ab = _batch(tiny_data, n=16)
    config = FineTuneConfig(steps=8, steps_per_epoch=4, batch_size=8, crop_size=32, discriminator_learning_rate=4e-4)
    ds = _repeat(l_chan, ab, 8, train_discriminator=True)
    with pytest.raises(KeyboardInterrupt):
        finetune_generator(config, build_generator(0.0625), build_discriminator(width=8, depth=2), ds,
                           str(tmp_path), Decoding(), callbacks=[stop_after_steps(6)])
    history = finetune_generator(config, build_generator(0.0625), build_discriminator(width=8, depth=2), ds,
                                 str(tmp_path), Decoding())
    assert len(history["loss"]) == 1  # resumed after epoch 1 of 2
    assert history["steps"] == history["discriminator_steps"] == 8  # the discriminator's Adam state came back too
    with pytest.raises(ValueError, match="discriminator_learning_rate"):
        FineTuneConfig(discriminator_learning_rate=-1.0)


def test_finetune_dataset_mixes_failures_and_ordinary(tiny_data):
    from colordisc_tf.train.finetune import finetune_dataset

    config = FineTuneConfig(batch_size=8, crop_size=24, mix_ordinary=0.5)
    inputs, targets = next(iter(finetune_dataset(tiny_data["eval"], tiny_data["train"], config)))
    assert inputs["L"].shape == (8, 24, 24, 1) and targets["logits"].shape == (8, 24, 24, 2)
    assert targets["adv"].shape == (8,) and set(inputs) == {"L"}
    config = FineTuneConfig(batch_size=8, crop_size=24, discriminator_learning_rate=1e-4)
    inputs, targets = next(iter(finetune_dataset(tiny_data["eval"], tiny_data["train"], config)))
    np.testing.assert_array_equal(inputs["ab"], targets["logits"])  # the discriminator's real examples
    assert set(targets) == {"logits", "adv", "discriminator_real", "discriminator_colorized"}


# slow (59 s): the JAX backend trains in make test-all here and in test_jax_trainers' driver test
@pytest.mark.slow
@pytest.mark.skipif(__import__("importlib").util.find_spec("jax") is None, reason="jax not installed")
def test_finetune_step_runs_on_the_jax_backend(tmp_path):
    script = textwrap.dedent(f"""
        import numpy as np, keras
        assert keras.backend.backend() == "jax"
        from colordisc_tf.config import Decoding, FineTuneConfig
        from colordisc_tf.train.finetune import adversarial_batch, finetune_generator
        from colordisc_tf.models import build_discriminator, build_generator
        rng = np.random.default_rng(0)
        l_chan = rng.uniform(0, 100, (16, 32, 32, 1)).astype("float32")
        ab = rng.uniform(-40, 40, (16, 32, 32, 2)).astype("float32")
        for discriminator_lr in (0.0, 4e-4):  # fixed discriminator, then TTUR
            g, d = build_generator(0.0625), build_discriminator(width=8, depth=2)
            before = [w.copy() for w in d.get_weights()]
            cfg = FineTuneConfig(steps=4, steps_per_epoch=2, batch_size=8, crop_size=32, discriminator_learning_rate=discriminator_lr)
            def gen():
                while True:
                    yield adversarial_batch(l_chan[:8], ab[:8], discriminator_lr > 0)
            h = finetune_generator(cfg, g, d, gen(), {str(tmp_path)!r} + f"/{{discriminator_lr}}", Decoding())
            moved = any(np.abs(a - b).max() > 0 for a, b in zip(before, d.get_weights()))
            print("steps", h["steps"], h.get("discriminator_steps", 0), np.isfinite(h["loss"][-1]), moved)
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("steps ")]
    assert lines == ["steps 4 0 True False", "steps 4 4 True True"]  # fixed discriminator stays put; TTUR's moves


def test_finetune_trainer_passes_the_base_generator_through_without_failures(tmp_path):
    import tensorflow as tf

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.serve.saving import load_generator, save_generator
    from colordisc_tf.train.entry import TrainerOutput
    from components.finetune_trainer import Executor
    from components.trainer_executor import TrainerArgs

    base = build_generator(0.0625)
    save_generator(base, GeneratorConfig(width=0.0625, serving_size=32), str(tmp_path / "base"))
    empty = tmp_path / "failures" / "Split-train" / "data.gz"
    empty.parent.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(empty), tf.io.TFRecordOptions(compression_type="GZIP")):
        pass
    args = TrainerArgs(train_files=str(empty.parent / "*"), eval_files="",
                       input_uris={"generator": str(tmp_path / "base"), "ordinary": "", "discriminator": "", "color_prior": ""},
                       output=TrainerOutput(model_dir=str(tmp_path / "out"), run_dir=str(tmp_path / "run"),
                                            serving_dir=str(tmp_path / "out" / "serving"), backup_dir=str(tmp_path / "b")))
    assert Executor().train(args, FineTuneConfig()) == {"finetuned": 0}
    passed, passed_config = load_generator(str(tmp_path / "out"))
    # the decoding saved as numbers
    assert passed_config == GeneratorConfig(width=0.0625, serving_size=32, chroma_gain=1.0, confidence_power=0.0)
    for a, b in zip(base.get_weights(), passed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "out" / "serving" / "saved_model.pb").exists()


def test_a_discriminator_compiled_on_its_own_does_not_blank_the_reported_loss(tiny_data):
    """Keras would report the nested discriminator's idle "loss" tracker (0.0) as the adversarial loss."""
    import keras

    from colordisc_tf.train.discriminator import PatchBCE

    discriminator = build_discriminator(width=8, depth=2)
    discriminator.compile(keras.optimizers.Adam(1e-3), PatchBCE())
    l_chan, ab = _batch(tiny_data, n=8)
    for ttur in (False, True):
        config = FineTuneConfig(batch_size=8, crop_size=32, discriminator_learning_rate=1e-3 if ttur else 0.0)
        model = compile_adversarial(build_adversarial(build_generator(0.0625), discriminator, Decoding(), train_discriminator=ttur), config, Decoding())
        logs = model.fit(_repeat(l_chan, ab, 8, ttur), steps_per_epoch=2, epochs=1, verbose=0).history
        parts = logs["logits_loss"][0] + config.lambda_adv * logs["adv_loss"][0]
        if ttur:
            parts += logs["discriminator_real_loss"][0] + logs["discriminator_colorized_loss"][0]
        assert logs["loss"][0] == pytest.approx(parts, rel=0.05), logs


@pytest.mark.slow  # 46 s: the L2 head is an option, not the method; make test-all runs it
def test_an_l2_head_generator_runs_through_finetuning_scoring_and_serving(tiny_data, tmp_path):
    """head "l2" (the regression baseline) is a documented GeneratorConfig value: every consumer
    that takes the generator's Decoding handles it -- the fine-tuning anchors on the L2 loss it
    was trained with and decodes ab / AB_NORM, before/after scores it, the colorizer with
    realness serves it (without the guided signature: nothing to anneal)."""
    import json

    import tensorflow as tf

    from colordisc_tf.config import DiscriminatorConfig, GeneratorConfig
    from colordisc_tf.evaluate.before_after import score_generator
    from colordisc_tf.serve.export import export_colorizer_with_realness
    from colordisc_tf.serve.saving import load_discriminator, load_generator, save_discriminator, save_generator
    from colordisc_tf.train import finetune
    from colordisc_tf.train.entry import TrainerOutput
    from colordisc_tf.train.losses import L2AbLoss

    generator_config = GeneratorConfig(width=0.0625, head="l2", crop_size=32, serving_size=32)
    save_generator(build_generator(0.0625, head="l2"), generator_config, str(tmp_path / "generator"), export=False)
    save_discriminator(build_discriminator(8, depth=2), DiscriminatorConfig(width=8, depth=2, crop_size=32, serving_size=32),
                       str(tmp_path / "discriminator"), export=False)
    config = FineTuneConfig(steps=2, steps_per_epoch=1, batch_size=4, crop_size=32)
    assert isinstance(finetune.anchor_loss(config, generator_config.decoding), L2AbLoss)
    inputs = {"failures": tiny_data["eval"], "ordinary": tiny_data["train"], "generator": str(tmp_path / "generator"),
              "discriminator": str(tmp_path / "discriminator"),
              "color_prior": os.path.join(os.path.dirname(tiny_data["examples"]), "prior")}
    history = finetune.run(config, inputs, TrainerOutput(str(tmp_path / "model"), str(tmp_path / "run")))
    assert history["finetuned"] == 1 and history["steps"] == 2 and np.isfinite(history["loss"][-1])

    generator, saved_config = load_generator(str(tmp_path / "model"))
    assert saved_config.decoding.head == "l2"
    discriminator = load_discriminator(str(tmp_path / "discriminator"))[0]
    result, per_image = score_generator(generator, tiny_data["eval"], {"fixed": discriminator}, saved_config.decoding)
    assert result["images"] > 0 and np.isfinite(result["auc_raw"])
    l_chan, _ = _batch(tiny_data, n=2)
    expected = np.asarray(generator(l_chan)) * 110.0  # the l2 head's ab / AB_NORM, at 1/4 size
    first = per_image[next(iter(per_image))][1][..., 1:]
    assert first.shape[:2] == (32, 32) and np.abs(first).max() <= 128 and expected.shape[-1] == 2

    exported = export_colorizer_with_realness(generator, discriminator, str(tmp_path / "both"), saved_config.decoding,
                                              model_size=32, discriminator_size=32)
    signatures = tf.saved_model.load(exported).signatures
    assert "colorize_guided" not in signatures and "colorize_with_realness" in signatures
    png = tf.io.encode_png(tf.fill([20, 30, 3], tf.constant(120, tf.uint8)))
    assert tf.io.decode_png(signatures["serving_default"](images=tf.reshape(png, [1]))["colorized"][0]).shape == (20, 30, 3)
    assert json.load(open(tmp_path / "model" / "config.json"))["head"] == "l2"
