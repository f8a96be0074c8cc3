"""Data-parallel training across JAX processes (colordisc_tf.train.data_parallel): two processes on
loopback train like one process fed the same global batches, end with the same weights,
and the model they leave exports and serves."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("jax")

from colordisc_tf.config import GeneratorConfig, to_dict  # noqa: E402

CONFIG = GeneratorConfig(width=0.0625, crop_size=32, batch_size=8, steps=6, steps_per_epoch=1, eval_batches=0,
                         serving_size=32, random_flip=True, jit_compile=True, processes=2)

# One JAX process, fed what the two processes feed together: each global batch is process 0's
# local batch followed by process 1's (the order DataParallel assembles them in).
REFERENCE = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    import colordisc_tf.train.generator as trainer
    from colordisc_tf.config import GeneratorConfig, from_dict
    from colordisc_tf.data.records import lab_dataset
    from colordisc_tf.serve.saving import save_generator

    def both_shards(pattern, batch, **kwargs):
        kwargs.pop("shard", None)
        halves = [lab_dataset(pattern, batch // 2, shard=(2, i), **kwargs) for i in range(2)]
        return tf.data.Dataset.zip(tuple(halves)).map(
            lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0)))

    trainer.lab_dataset = both_shards
    config = from_dict(GeneratorConfig, json.loads(sys.argv[1]))
    model, history = trainer.train_generator(config, sys.argv[2], None, sys.argv[3])
    save_generator(model, config, sys.argv[4], export=False)
    print(json.dumps(history))
""")


def _weights(model_dir):
    from colordisc_tf.serve.saving import load_generator

    return [np.asarray(w) for w in load_generator(model_dir)[0].weights]


@pytest.mark.slow  # ~4 min on 2 cores: three JAX processes compile the train step
def test_two_processes_train_like_one_fed_the_same_global_batches(tiny_data, tmp_path):
    """One step per epoch, so the first loss is the same weights on the same batch: it agrees
    to float rounding; later ones to 1e-3. Adam turns reduction-order differences (1e-7) into
    lr-sized steps wherever a gradient is ~0, so the weights soon differ at the learning
    rate's scale even on identical batches (measured with a synthetic twin), and the losses
    follow slowly: weights are not compared elementwise."""
    import tensorflow as tf

    from colordisc_tf.train import generator
    from colordisc_tf.train.entry import TrainerOutput

    history = generator.run(CONFIG, {"train": tiny_data["train"]},
                            TrainerOutput(str(tmp_path / "model"), str(tmp_path / "run"), str(tmp_path / "serving")))
    results = [json.load(open(tmp_path / "run" / "processes" / f"process_{i}.json")) for i in range(2)]
    assert results[0]["weights_digest"] == results[1]["weights_digest"]  # the same weights in both
    assert history["steps"] == CONFIG.steps and len(history["loss"]) == CONFIG.steps // CONFIG.steps_per_epoch

    single = dict(to_dict(CONFIG), processes=1)
    env = dict(os.environ, KERAS_BACKEND="jax")
    ran = subprocess.run([sys.executable, "-c", REFERENCE, json.dumps(single), tiny_data["train"],
                          str(tmp_path / "ref_run"), str(tmp_path / "ref_model")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    reference = json.loads(ran.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(history["loss"][0], reference["loss"][0], rtol=1e-5)  # measured: 2e-6
    np.testing.assert_allclose(history["loss"], reference["loss"], rtol=1e-3)
    assert len(_weights(tmp_path / "model")) == len(_weights(tmp_path / "ref_model"))

    # Only the chief wrote: one history, one set of TensorBoard logs, no stray backup.
    assert (tmp_path / "run" / "history.json").exists()
    serve = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    png = tf.io.encode_png(tf.zeros([20, 30, 3], tf.uint8))
    out = serve(images=tf.reshape(png, [1]))["colorized"].numpy()[0]
    assert tf.io.decode_png(out).shape == (20, 30, 3)


def test_data_parallel_needs_a_batch_that_splits():
    with pytest.raises(ValueError, match="batch_size: must be a multiple of processes"):
        GeneratorConfig(batch_size=9, processes=2)


@pytest.mark.slow  # ~5 min on 2 cores
def test_a_killed_data_parallel_run_resumes_from_the_chiefs_backup(tiny_data, tmp_path):
    """SIGKILL the launcher after the chief's first backup: its processes die with it, and a
    new launch resumes every process from that backup to the configured step count."""
    from killing import kill_when

    from colordisc_tf.train.fit import resumed_epochs
    from colordisc_tf.train import generator
    from colordisc_tf.train.entry import TrainerOutput

    config = GeneratorConfig(**{**to_dict(CONFIG), "steps": 15, "steps_per_epoch": 5})
    backup = str(tmp_path / "backup")
    output = TrainerOutput(str(tmp_path / "model"), str(tmp_path / "run"), str(tmp_path / "serving"), backup)
    script = ("import json, sys; from colordisc_tf.config import GeneratorConfig, from_dict; "
              "from colordisc_tf.train import generator; from colordisc_tf.train.entry import TrainerOutput; "
              "generator.run(from_dict(GeneratorConfig, json.loads(sys.argv[1])), {'train': sys.argv[2]}, "
              "TrainerOutput(**json.loads(sys.argv[3])))")
    kill_when([sys.executable, "-c", script, json.dumps(to_dict(config)), tiny_data["train"],
               json.dumps(output.__dict__)], lambda: resumed_epochs(backup) >= 1, 600, "the data-parallel run")
    done = resumed_epochs(backup)
    assert 1 <= done < 3
    history = generator.run(config, {"train": tiny_data["train"]}, output)
    assert history["steps"] == config.steps
    assert len(history["loss"]) == 3 - done  # only the epochs left, in every process


DISCRIMINATOR = dict(width=8, depth=2, crop_size=32, batch_size=8, steps=6, steps_per_epoch=1, eval_batches=0,
                     serving_size=32, processes=2)

# As REFERENCE, for the discriminator: each global batch is process 0's local batch (half real,
# half colorized) followed by process 1's.
DISCRIMINATOR_REFERENCE = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    import colordisc_tf.train.discriminator as trainer
    from colordisc_tf.config import DiscriminatorConfig, from_dict
    from colordisc_tf.serve.saving import save_discriminator

    pairs = trainer.real_colorized_dataset

    def both_shards(real, colorized, config, training, batch_size=None, shard=None):
        halves = [pairs(real, colorized, config, training, config.batch_size // 2, (2, i)) for i in range(2)]
        return tf.data.Dataset.zip(tuple(halves)).map(
            lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0)))

    trainer.real_colorized_dataset = both_shards
    config = from_dict(DiscriminatorConfig, json.loads(sys.argv[1]))
    model, history = trainer.train_discriminator(config, sys.argv[2], sys.argv[3], None, None, sys.argv[4])
    save_discriminator(model, config, sys.argv[5], export=False)
    print(json.dumps(history))
""")


@pytest.mark.slow  # ~3 min on 2 cores
def test_two_discriminator_processes_train_like_one_fed_the_same_global_batches(tiny_data, tmp_path):
    """The discriminator trainer, as the generator's above: the same weights in both processes, the
    losses of one process fed the same global batches, a SavedModel that scores."""
    import tensorflow as tf

    from colordisc_tf.config import DiscriminatorConfig
    from colordisc_tf.serve.saving import load_discriminator
    from colordisc_tf.train import discriminator
    from colordisc_tf.train.entry import TrainerOutput

    config = DiscriminatorConfig(**DISCRIMINATOR)
    real, colorized = tiny_data["train"], tiny_data["eval"]  # two different sets of photos stand in
    history = discriminator.run(config, {"real_train": real, "colorized_train": colorized},
                                TrainerOutput(str(tmp_path / "model"), str(tmp_path / "run"), str(tmp_path / "serving")))
    results = [json.load(open(tmp_path / "run" / "processes" / f"process_{i}.json")) for i in range(2)]
    assert results[0]["weights_digest"] == results[1]["weights_digest"]
    assert history["steps"] == config.steps and len(history["loss"]) == config.steps

    env = dict(os.environ, KERAS_BACKEND="jax")
    ran = subprocess.run([sys.executable, "-c", DISCRIMINATOR_REFERENCE, json.dumps(dict(DISCRIMINATOR, processes=1)),
                          real, colorized, str(tmp_path / "ref_run"), str(tmp_path / "ref_model")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    reference = json.loads(ran.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(history["loss"][0], reference["loss"][0], rtol=1e-5)
    np.testing.assert_allclose(history["loss"], reference["loss"], rtol=1e-3)
    assert len(load_discriminator(str(tmp_path / "model"))[0].weights) == len(
        load_discriminator(str(tmp_path / "ref_model"))[0].weights)

    assert (tmp_path / "run" / "history.json").exists()
    serve = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    png = tf.io.encode_png(tf.zeros([20, 30, 3], tf.uint8))
    outputs = serve(images=tf.reshape(png, [1]))
    assert all(np.all(np.isfinite(v.numpy())) for v in outputs.values())


def test_a_discriminator_batch_must_split_into_real_and_colorized_halves_per_process():
    from colordisc_tf.config import DiscriminatorConfig

    with pytest.raises(ValueError, match="batch_size: must be a multiple of 2 x processes"):
        DiscriminatorConfig(batch_size=6, processes=2)
    DiscriminatorConfig(batch_size=8, processes=2)


FINETUNE = dict(steps=4, steps_per_epoch=1, batch_size=8, crop_size=32, discriminator_learning_rate=4e-4,
                mix_ordinary=0.5, processes=2)

# As REFERENCE, for the fine-tuning (both players learning: TTUR's two optimizers).
FINETUNE_REFERENCE = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    import colordisc_tf.train.finetune as finetune

    batches = finetune.finetune_dataset

    def both_shards(failures, ordinary, config, batch_size=None, shard=None):
        halves = [batches(failures, ordinary, config, config.batch_size // 2, (2, i)) for i in range(2)]
        return tf.data.Dataset.zip(tuple(halves)).map(
            lambda a, b: tf.nest.map_structure(lambda x, y: tf.concat([x, y], 0), a, b))

    finetune.finetune_dataset = both_shards
    print(json.dumps(finetune.train_and_save(**json.loads(sys.argv[1]))["history"]))
""")


@pytest.mark.slow  # ~3 min on 2 cores
def test_two_finetune_processes_train_like_one_fed_the_same_global_batches(tiny_data, tmp_path):
    """The adversarial fine-tuning with a learning discriminator, as the trainers above: the same
    generator weights in both processes, the losses of one process fed the same global batches,
    and the fine-tuned generator's SavedModel serves."""
    import tensorflow as tf

    from colordisc_tf.config import DiscriminatorConfig, FineTuneConfig
    from colordisc_tf.train import finetune
    from colordisc_tf.train.entry import TrainerOutput
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.saving import save_discriminator, save_generator

    save_generator(build_generator(CONFIG.width), CONFIG, str(tmp_path / "generator"), export=False)
    save_discriminator(build_discriminator(8, depth=2), DiscriminatorConfig(width=8, depth=2, serving_size=32),
                       str(tmp_path / "discriminator"), export=False)
    config = FineTuneConfig(**FINETUNE)
    inputs = dict(failures=tiny_data["train"], ordinary=tiny_data["eval"],
                  generator=str(tmp_path / "generator"), discriminator=str(tmp_path / "discriminator"),
                  color_prior=os.path.join(os.path.dirname(tiny_data["examples"]), "prior"))
    history = finetune.run(config, inputs,
                           TrainerOutput(str(tmp_path / "model"), str(tmp_path / "run"), str(tmp_path / "serving")))
    results = [json.load(open(tmp_path / "run" / "processes" / f"process_{i}.json")) for i in range(2)]
    assert results[0]["weights_digest"] == results[1]["weights_digest"]
    assert history["steps"] == config.steps and len(history["loss"]) == config.steps

    env = dict(os.environ, KERAS_BACKEND="jax")
    kwargs = dict(inputs=inputs, config=dict(to_dict(config), processes=1),
                  output=dict(run_dir=str(tmp_path / "ref_run"), model_dir=str(tmp_path / "ref_model")))
    ran = subprocess.run([sys.executable, "-c", FINETUNE_REFERENCE, json.dumps(kwargs)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    reference = json.loads(ran.stdout.strip().splitlines()[-1])
    for key in ("loss", "adv_loss", "discriminator_real_loss"):
        np.testing.assert_allclose(history[key][0], reference[key][0], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(history[key], reference[key], rtol=1e-3, err_msg=key)

    serve = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    png = tf.io.encode_png(tf.zeros([20, 30, 3], tf.uint8))
    assert tf.io.decode_png(serve(images=tf.reshape(png, [1]))["colorized"].numpy()[0]).shape == (20, 30, 3)


def test_finetune_processes_need_a_batch_that_splits_and_the_default_strategy():
    from colordisc_tf.config import FineTuneConfig

    with pytest.raises(ValueError, match="batch_size: must be a multiple of processes"):
        FineTuneConfig(batch_size=9, processes=2)
    with pytest.raises(ValueError, match="strategy: must be 'default' when processes > 1"):
        FineTuneConfig(strategy="mirrored", processes=2)


@pytest.mark.slow  # ~1.5 min on 2 cores
def test_the_documented_multi_host_command_trains(tiny_data, tmp_path):
    """docs/scaling.md: on each host, `python -m colordisc_tf.train.data_parallel TARGET KWARGS result.json`
    with COLORDISC_COORDINATOR / _NUM_PROCESSES / _PROCESS_ID set. Two such "hosts" here, each started by
    hand in its own folder (not through launch): the same weights, the chief's model on the shared path."""
    from colordisc_tf.train import data_parallel
    from colordisc_tf.infra.ports import free_port
    from colordisc_tf.config import DiscriminatorConfig
    from colordisc_tf.serve.saving import load_discriminator

    kwargs = {"config": DISCRIMINATOR, "inputs": {"real_train": tiny_data["train"], "colorized_train": tiny_data["eval"]},
              "output": {"run_dir": str(tmp_path / "shared" / "run"), "model_dir": str(tmp_path / "shared" / "model")}}
    coordinator = f"127.0.0.1:{free_port()}"
    hosts = []
    for index in range(2):
        folder = tmp_path / f"host{index}"
        folder.mkdir()
        env = dict(os.environ, KERAS_BACKEND="jax", COLORDISC_COORDINATOR=coordinator, COLORDISC_NUM_PROCESSES="2",
                   COLORDISC_PROCESS_ID=str(index))
        hosts.append(subprocess.Popen(
            [sys.executable, "-m", "colordisc_tf.train.data_parallel", "colordisc_tf.train.discriminator:train_and_save",
             json.dumps(kwargs), str(folder / "result.json")],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for host in hosts:
        output, _ = host.communicate(timeout=600)
        assert host.returncode == 0, output[-3000:]
    results = [json.loads((tmp_path / f"host{i}" / "result.json").read_text()) for i in range(2)]
    assert [r["process"] for r in results] == [0, 1]
    assert results[0]["weights_digest"] == results[1]["weights_digest"]
    model, config = load_discriminator(kwargs["output"]["model_dir"])
    assert config == DiscriminatorConfig(**DISCRIMINATOR)
    assert data_parallel.weights_digest(model) == results[0]["weights_digest"]
