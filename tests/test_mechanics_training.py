"""The training mechanics judged by independent oracles, not by the losses they minimise.

- fine-tuning makes the colorization look more real to the discriminator, measured by decoding
  and scoring it directly (a flipped GAN loss makes it look less real);
- a learning discriminator scores held-out real photos above their colorizations;
- the SavedModels serve what the Keras models compute (NumPy/skimage decode);
- a killed and resumed run ends at the weights of an uninterrupted one.
"""

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from colordisc_tf.config import Decoding, FineTuneConfig
from colordisc_tf.train.finetune import NonSaturatingLoss, adversarial_batch, build_adversarial, compile_adversarial
from colordisc_tf.models import build_discriminator, build_generator

AB_BINS = np.loadtxt(os.path.join(os.path.dirname(__file__), "..", "colordisc_tf", "data", "ab_bins_313.csv"),
                     delimiter=",", skiprows=1, usecols=(-2, -1))


def _lab_dataset_batch(pattern, n, size=32, seed=0):
    from colordisc_tf.data.records import lab_dataset

    l_chan, ab = next(iter(lab_dataset(pattern, n, crop_size=size, seed=seed)))
    return l_chan.numpy(), ab.numpy()


def _np_annealed_ab(logits, temperature=0.38):
    """NumPy: softmax, annealed (exp(log p / T) renormalised), expectation over the bins."""
    z = logits - logits.max(-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    q = np.exp(np.log(np.maximum(p, 1e-30)) / temperature)
    q /= q.sum(-1, keepdims=True)
    return q @ AB_BINS


def _upsample(ab, size):
    """Bilinear with half-pixel centres (TF's and skimage's convention), via skimage."""
    from skimage.transform import resize

    return np.stack([resize(a, (size, size, 2), order=1, mode="edge", anti_aliasing=False) for a in ab])


def _discriminator_realness(generator, discriminator, l_chan):
    """Mean image realness of the generator's colorizations, computed here: NumPy
    decode at T = 0.38, the discriminator on [L, ab] in inference mode, mean patch sigmoid."""
    logits = np.asarray(generator(l_chan, training=False))
    ab = _upsample(_np_annealed_ab(logits), l_chan.shape[1]).astype("float32")
    patch = np.asarray(discriminator(np.concatenate([l_chan, ab], -1), training=False))
    return float((1 / (1 + np.exp(-patch))).mean())


@pytest.mark.parametrize("objective", ["look_real", "flipped"])
def test_finetuning_raises_the_discriminators_realness_of_the_colorization(tiny_data, objective):
    import keras

    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(0.0625), build_discriminator(width=8, depth=2)
    l_chan, ab = _lab_dataset_batch(tiny_data["train"], 16)
    config = FineTuneConfig(batch_size=16, crop_size=32, learning_rate=2e-3, lambda_adv=20.0)
    model = compile_adversarial(build_adversarial(generator, discriminator, Decoding()), config, Decoding(), tiny_data["prior"].weights)
    if objective == "flipped":  # the control: a GAN loss with its sign the wrong way round
        model.compile(optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                      loss={"logits": model.loss["logits"], "adv": NonSaturatingLoss(target_real=False)},
                      loss_weights={"logits": 1.0, "adv": 20.0})
    before = _discriminator_realness(generator, discriminator, l_chan)
    x, y = adversarial_batch(l_chan, ab)
    for _ in range(30):
        model.train_on_batch(x, y)
    after = _discriminator_realness(generator, discriminator, l_chan)
    if objective == "look_real":
        assert after > before + 0.01, (before, after)
    else:
        assert after < before - 0.01, (before, after)


def test_learning_discriminator_scores_held_out_real_above_colorized(tiny_data):
    import keras

    from colordisc_tf import metrics
    from colordisc_tf.models.discriminator import realness

    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(0.0625), build_discriminator(width=8, depth=2)
    config = FineTuneConfig(batch_size=16, crop_size=32, learning_rate=0.0, discriminator_learning_rate=2e-3)
    model = compile_adversarial(build_adversarial(generator, discriminator, Decoding(), train_discriminator=True), config, Decoding(),
                                tiny_data["prior"].weights)
    l_train, ab_train = _lab_dataset_batch(tiny_data["train"], 64)
    for step in range(60):
        chunk = slice(16 * (step % 4), 16 * (step % 4 + 1))
        model.train_on_batch(*adversarial_batch(l_train[chunk], ab_train[chunk], train_discriminator=True))
    l_eval, ab_eval = _lab_dataset_batch(tiny_data["eval"], 32)  # photos the discriminator never saw
    ab_colorized = _upsample(_np_annealed_ab(np.asarray(generator(l_eval, training=False))), 32).astype("float32")
    real = np.asarray(realness(discriminator(np.concatenate([l_eval, ab_eval], -1), training=False)))
    colorized = np.asarray(realness(discriminator(np.concatenate([l_eval, ab_colorized], -1), training=False)))
    assert real.mean() > colorized.mean(), (real.mean(), colorized.mean())
    assert metrics.roc_auc(real, colorized) > 0.75


def _planted_generator():
    """A tiny generator whose output is peaked on two far-apart bins (a red and a blue), so
    the annealing temperature visibly changes the colours; random weights elsewhere."""
    import keras

    keras.utils.set_random_seed(1)
    generator = build_generator(0.0625)
    head = generator.get_layer("conv8_313")
    kernel, bias = head.get_weights()
    red = int(np.argmin(np.linalg.norm(AB_BINS - [60, 40], axis=1)))
    blue = int(np.argmin(np.linalg.norm(AB_BINS - [10, -60], axis=1)))
    bias[:] = 0.0
    bias[red], bias[blue] = 4.0, 3.4
    head.set_weights([kernel * 0.2, bias])
    return generator


def _probe_png(size):
    from PIL import Image

    rng = np.random.default_rng(3)
    ramp = np.linspace(30, 220, size)[None, :, None] * np.ones((size, 1, 3))
    pixels = np.clip(ramp + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue(), pixels


def test_generator_serving_equals_the_keras_models_decode(tmp_path):
    import tensorflow as tf
    from PIL import Image
    from skimage import color as skcolor

    from colordisc_tf.serve.export import export_generator

    size = 32
    generator = _planted_generator()
    export_generator(generator, str(tmp_path / "g"), Decoding(), model_size=size)  # default temperature
    png, pixels = _probe_png(size)
    served = tf.saved_model.load(str(tmp_path / "g")).signatures["serving_default"](images=tf.constant([png]))
    served = np.asarray(Image.open(io.BytesIO(served["colorized"].numpy()[0])).convert("RGB"), dtype=np.float64)

    l_chan = skcolor.rgb2lab(pixels / 255.0)[..., :1].astype("float32")

    def oracle(temperature):
        ab = _upsample(_np_annealed_ab(np.asarray(generator(l_chan[None], training=False)), temperature), size)[0]
        return np.round(np.clip(skcolor.lab2rgb(np.concatenate([l_chan, ab], -1)), 0, 1) * 255)

    expected = oracle(0.38)
    assert np.abs(served - expected).mean() < 1.5, np.abs(served - expected).mean()
    # The check can tell: a gray server, or one decoding at T = 1, is far off.
    gray = np.round(np.clip(skcolor.lab2rgb(np.concatenate([l_chan, 0 * l_chan, 0 * l_chan], -1)), 0, 1) * 255)
    assert np.abs(gray - expected).mean() > 10
    assert np.abs(oracle(1.0) - expected).mean() > 5


def test_discriminator_serving_equals_the_keras_models_score_on_lab(tmp_path):
    import keras
    import tensorflow as tf
    from skimage import color as skcolor

    from colordisc_tf.serve.export import export_discriminator

    keras.utils.set_random_seed(2)
    size = 32
    discriminator = build_discriminator(width=8, depth=2)
    export_discriminator(discriminator, str(tmp_path / "d"), model_size=size)
    png, pixels = _probe_png(size)
    served = tf.saved_model.load(str(tmp_path / "d")).signatures["serving_default"](images=tf.constant([png]))

    def oracle(image):
        patch = np.asarray(discriminator(image[None].astype("float32"), training=False))
        return float((1 / (1 + np.exp(-patch))).mean()), 1 / (1 + np.exp(-patch[0, ..., 0]))

    expected, expected_map = oracle(skcolor.rgb2lab(pixels / 255.0))
    # tensorflow-io's and skimage's Lab agree to < 0.5: the scores to ~1e-7 (measured)
    assert float(served["realness"].numpy()[0]) == pytest.approx(expected, abs=1e-4)
    np.testing.assert_allclose(served["realness_map"].numpy()[0], expected_map, atol=1e-4)
    rgb_fed, rgb_map = oracle(pixels / 255.0)  # the bug this catches: RGB where Lab belongs
    assert abs(rgb_fed - expected) > 1e-3 and np.abs(rgb_map - expected_map).max() > 1e-2


RESUME_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np, keras, tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    from killing import stop_after_steps
    root, trainer, train_pattern, eval_pattern = sys.argv[1:5]

    def finetune(out, callbacks):
        from colordisc_tf.config import Decoding, FineTuneConfig
        from colordisc_tf.train.finetune import adversarial_batch, finetune_generator
        from colordisc_tf.models import build_discriminator, build_generator
        rng = np.random.default_rng(0)
        l_chan = rng.uniform(0, 100, (8, 32, 32, 1)).astype("float32")
        ab = rng.uniform(-40, 40, (8, 32, 32, 2)).astype("float32")
        ds = tf.data.Dataset.from_tensors(adversarial_batch(l_chan, ab, True)).repeat()
        cfg = FineTuneConfig(steps=8, steps_per_epoch=4, batch_size=8, crop_size=32, discriminator_learning_rate=4e-3,
                             learning_rate=1e-3, lambda_adv=1.0)
        keras.utils.set_random_seed(0)
        g, d = build_generator(0.0625), build_discriminator(width=8, depth=2)
        history = finetune_generator(cfg, g, d, ds, out, Decoding(), callbacks=callbacks)
        return g.get_weights() + d.get_weights(), history

    def generator(out, callbacks):  # random crops and flips from records: the input stream must resume too
        from colordisc_tf.config import GeneratorConfig
        from colordisc_tf.train.generator import train_generator
        cfg = GeneratorConfig(width=0.0625, crop_size=32, batch_size=8, steps=8, steps_per_epoch=4, eval_batches=1,
                              image_every=0)
        model, history = train_generator(cfg, train_pattern, eval_pattern, out, callbacks=callbacks)
        return model.get_weights(), history

    run = {"finetune": finetune, "generator": generator}[trainer]
    for name, kill in (("straight", 0), ("killed", 6)):  # one process: TensorFlow starts once
        out = f"{root}/{name}"
        if kill:
            try:
                run(out, [stop_after_steps(kill)])
            except KeyboardInterrupt:
                pass
        weights, history = run(out, [])
        np.savez(out + "/weights.npz", *weights)
        print("epochs_run", name, len(history["loss"]), "steps", history["steps"], history.get("discriminator_steps"))
""")


# The fine-tune variant is slow (~50 s); test_finetune's killed TTUR resume covers its step counts.
@pytest.mark.parametrize("trainer", [pytest.param("finetune", marks=pytest.mark.slow), "generator"])
def test_killed_training_resumes_to_the_weights_of_an_uninterrupted_run(tiny_data, tmp_path, trainer):
    # Run outside the repository (and with it last on the path), so that a copy of the
    # package put first on PYTHONPATH -- a mutant -- is the one imported.
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), repo, os.path.join(repo, "tests")) if p)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": path}
    result = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, str(tmp_path), trainer, tiny_data["train"],
                             tiny_data["eval"]], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    discriminator_steps = "8" if trainer == "finetune" else "None"
    assert [line for line in result.stdout.splitlines() if line.startswith("epochs_run")] == [
        f"epochs_run straight 2 steps 8 {discriminator_steps}",
        f"epochs_run killed 1 steps 8 {discriminator_steps}",  # it resumed after epoch 1 of 2
    ]
    straight = np.load(tmp_path / "straight" / "weights.npz")
    killed = np.load(tmp_path / "killed" / "weights.npz")
    assert len(straight.files) == len(killed.files) > 0
    for key in straight.files:
        np.testing.assert_allclose(killed[key], straight[key], rtol=0, atol=1e-6, err_msg=key)
