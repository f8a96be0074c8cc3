"""The paper's numbers where production reads them: the config sections (their defaults and
the shipped presets) and the losses the trainers actually build from them. Tests of a
function's own defaults pin a twin that production never calls: the trainers pass k, sigma,
lambda and the decoding from the configs."""

import pytest

from colordisc_tf.config import FineTuneConfig, GeneratorConfig, PipelineConfig, PriorConfig, load_config

# pipelines/configs/starter.json is not here on purpose: it mixes its prior with uniform at lambda 0.8,
# chosen by measurement for a 0.5 M-parameter model on a few hundred photos (its MODEL_CARD.md says why)
PRESETS = ("pipelines/configs/demo.json", "pipelines/configs/full.json")
ANNEAL_T = 0.38  # Zhang et al. 2016: decode temperature
SOFT_K, SOFT_SIGMA = 5, 5.0  # soft-encoding: 5 nearest bins, Gaussian sigma 5 (ab units)
PRIOR_LAM, PRIOR_SIGMA = 0.5, 5.0  # rebalancing: mix with uniform, smoothing sigma


def _presets():
    import os

    root = os.path.join(os.path.dirname(__file__), "..")
    return {path: load_config(os.path.join(root, path)) for path in PRESETS}


@pytest.mark.parametrize("config", [PipelineConfig(), *_presets().values()], ids=["defaults", *PRESETS])
def test_the_configs_production_runs_carry_the_papers_numbers(config):
    assert (config.generator.k, config.generator.sigma) == (SOFT_K, SOFT_SIGMA)
    assert (config.finetune.k, config.finetune.sigma) == (SOFT_K, SOFT_SIGMA)
    assert (config.prior.lam, config.prior.sigma) == (PRIOR_LAM, PRIOR_SIGMA)
    assert config.generator.decoding.temperature == ANNEAL_T
    assert config.generator.decoding.head == "classification"
    assert config.failure_quantile == 0.25 and config.failure_threshold is None


def test_section_defaults_match_the_pipeline_defaults():
    assert PipelineConfig().generator == GeneratorConfig()
    assert PipelineConfig().finetune == FineTuneConfig()
    assert PipelineConfig().prior == PriorConfig()


def test_the_generator_trainer_compiles_the_loss_its_config_says(tiny_data, tmp_path):
    """The loss train_generator really builds: soft-encoding k and sigma from the config (its
    defaults, and a changed value to show the wiring is live)."""
    from colordisc_tf.train.generator import train_generator
    from colordisc_tf.train.losses import RebalancedCrossEntropy

    for k, sigma in ((None, None), (3, 8.0)):
        overrides = {} if k is None else {"k": k, "sigma": sigma}
        config = GeneratorConfig(width=0.0625, crop_size=32, batch_size=4, steps=1, steps_per_epoch=1, eval_batches=0,
                                 **overrides)
        model, _ = train_generator(config, tiny_data["train"], None, str(tmp_path / f"run{k}"),
                                   weights=tiny_data["prior"].weights)
        assert isinstance(model.loss, RebalancedCrossEntropy)
        assert (model.loss.k, model.loss.sigma) == ((SOFT_K, SOFT_SIGMA) if k is None else (k, sigma))
        assert model.loss.class_weights is not None  # rebalanced: the prior's weights reach the loss


def test_the_finetuning_anchor_is_built_from_its_config():
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.train.finetune import anchor_loss

    loss = anchor_loss(FineTuneConfig(), Decoding(), class_weights=[1.0] * 313)
    assert (loss.k, loss.sigma) == (SOFT_K, SOFT_SIGMA)
    changed = anchor_loss(FineTuneConfig(k=10, sigma=3.0), Decoding())
    assert (changed.k, changed.sigma) == (10, 3.0)


def test_the_pipeline_hands_its_components_the_papers_numbers(tmp_path):
    """What the TFX pipeline really passes: ColorPriorGen's lambda and sigma, each trainer's
    config section (soft-encoding, the generator's decoding) and the failure rule."""
    import json

    from pipelines.colordisc_pipeline import create_pipeline

    config = PipelineConfig(data=(str(tmp_path),), pipeline_root=str(tmp_path / "root"), push=False)
    components = {c.id: c for c in create_pipeline(config, input_fingerprint="-", local_metadata=False).components}
    props = {name: c.exec_properties for name, c in components.items()}
    assert (props["ColorPriorGen"]["lam"], props["ColorPriorGen"]["sigma"]) == (PRIOR_LAM, PRIOR_SIGMA)
    generator = json.loads(props["GeneratorTrainer"]["custom_config"])
    assert (generator["k"], generator["sigma"], generator["temperature"], generator["head"]) == (
        SOFT_K, SOFT_SIGMA, ANNEAL_T, "classification")
    finetune = json.loads(props["FineTuneTrainer"]["custom_config"])
    assert (finetune["k"], finetune["sigma"]) == (SOFT_K, SOFT_SIGMA)
    assert json.loads(props["FailureFilter"]["selection"]) == {"quantile": 0.25, "threshold": None}


# ----------------------------------------------------------------------------- what each fine-tuning batch is made of
# FineTuneConfig's defaults, pinned by value here and through the code that reads them: the tests
# elsewhere and every preset set these keys themselves, so a changed default passed them all.
FINETUNE_BATCH, FINETUNE_CROP = 16, 56  # crops per batch, their side
MIX_ORDINARY = 0.5  # share of each batch drawn from ordinary train photos (against forgetting); the rest: failures
LAMBDA_ADV = 0.1  # weight of the non-saturating GAN loss next to the anchor
FINETUNE_LR, DISCRIMINATOR_LR = 1e-4, 0.0  # Adam; 0: the discriminator stays fixed (the presets use TTUR, 4x)


def _preset_sections(section: str) -> dict:
    """{preset: its `section` as written} (read as JSON: a preset's other sections need not resolve here)."""
    import json
    import os

    root = os.path.join(os.path.dirname(__file__), "..")
    out = {}
    for path in PRESETS:
        with open(os.path.join(root, path)) as f:
            out[path] = json.load(f)[section]
    return out


def test_the_finetune_defaults_are_the_documented_batch():
    c = FineTuneConfig()
    assert (c.batch_size, c.crop_size, c.mix_ordinary, c.lambda_adv) == (FINETUNE_BATCH, FINETUNE_CROP, MIX_ORDINARY,
                                                                          LAMBDA_ADV)
    assert (c.learning_rate, c.discriminator_learning_rate) == (FINETUNE_LR, DISCRIMINATOR_LR)
    presets = _preset_sections("finetune")
    assert {path: p["mix_ordinary"] for path, p in presets.items()} == dict.fromkeys(PRESETS, MIX_ORDINARY)
    assert {path: p["lambda_adv"] for path, p in presets.items()} == {
        "pipelines/configs/demo.json": LAMBDA_ADV, "pipelines/configs/full.json": LAMBDA_ADV / 10}
    for path, p in presets.items():  # two time-scale updates: the discriminator learns 4x faster
        assert p["discriminator_learning_rate"] == pytest.approx(4 * p["learning_rate"]), path


def _constant_records(path, l_value: float, count: int, size: int = 64):
    """`count` size x size Lab records whose L is l_value everywhere: batches tell where each crop came from."""
    import numpy as np
    import tensorflow as tf

    from colordisc_tf.data.record_format import encode_lab_example

    rng = np.random.default_rng(int(l_value))
    path.parent.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for i in range(count):
            lab = np.concatenate([np.full((size, size, 1), l_value), rng.uniform(-40, 40, (size, size, 2))], -1)
            writer.write(encode_lab_example(lab, f"{l_value:.0f}_{i}", "/x.png", size, size))
    return str(path.parent / "*")


def test_the_finetune_dataset_builds_its_batches_from_the_defaults(tmp_path):
    """finetune_dataset, as finetune.run calls it, with FineTuneConfig() untouched: batches of
    FINETUNE_BATCH crops of FINETUNE_CROP pixels, MIX_ORDINARY of them ordinary photos, the
    rest failure cases, and no discriminator targets (it stays fixed)."""
    import numpy as np

    from colordisc_tf.train.finetune import finetune_dataset

    failures = _constant_records(tmp_path / "failures" / "Split-train" / "data.gz", 20.0, 12)
    ordinary = _constant_records(tmp_path / "ordinary" / "Split-train" / "data.gz", 80.0, 12)
    ordinary_share = []
    for inputs, targets in finetune_dataset(failures, ordinary, FineTuneConfig()).take(40):
        assert inputs["L"].shape == (FINETUNE_BATCH, FINETUNE_CROP, FINETUNE_CROP, 1)
        assert set(inputs) == {"L"} and set(targets) == {"logits", "adv"}
        source = np.asarray(inputs["L"]).mean(axis=(1, 2, 3))
        assert set(np.round(source)) <= {20.0, 80.0}
        ordinary_share.append(np.mean(source > 50))
    # 640 crops: the share's standard error at 0.5 is 0.02
    assert abs(np.mean(ordinary_share) - MIX_ORDINARY) < 0.08, np.mean(ordinary_share)


def test_the_finetuning_loss_weighs_the_gan_term_by_the_default_lambda():
    """compile_adversarial with FineTuneConfig() untouched: loss = anchor + LAMBDA_ADV x GAN term."""
    import keras
    import numpy as np

    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.train.finetune import adversarial_batch, build_adversarial, compile_adversarial

    keras.utils.set_random_seed(0)
    model = build_adversarial(build_generator(0.0625), build_discriminator(8, depth=2), Decoding())
    model = compile_adversarial(model, FineTuneConfig(), Decoding())
    assert set(model.output) == {"logits", "adv"}  # default: no learning discriminator
    rng = np.random.default_rng(0)
    l_chan = rng.uniform(0, 100, (4, 32, 32, 1)).astype("float32")
    ab = rng.uniform(-40, 40, (4, 32, 32, 2)).astype("float32")
    logs = model.evaluate(*adversarial_batch(l_chan, ab), batch_size=4, verbose=0, return_dict=True)
    assert logs["adv_loss"] > 0.1
    assert logs["loss"] == pytest.approx(logs["logits_loss"] + LAMBDA_ADV * logs["adv_loss"], rel=1e-4)


def test_the_pipeline_feeds_the_finetuning_failures_and_ordinary_photos_with_the_default_mix(tmp_path):
    """FineTuneTrainer's `examples` are FailureFilter's failures, its `ordinary` LabExampleGen's
    photos, and its config the default FineTuneConfig's batch."""
    import json

    from pipelines.colordisc_pipeline import create_pipeline

    config = PipelineConfig(data=(str(tmp_path),), pipeline_root=str(tmp_path / "root"), push=False)
    components = {c.id: c for c in create_pipeline(config, input_fingerprint="-", local_metadata=False).components}
    finetune = components["FineTuneTrainer"]
    assert finetune.inputs["examples"].producer_component_id == "FailureFilter"
    assert finetune.inputs["ordinary"].producer_component_id == "LabExampleGen"
    sent = json.loads(finetune.exec_properties["custom_config"])
    assert (sent["batch_size"], sent["crop_size"], sent["mix_ordinary"], sent["lambda_adv"]) == (
        FINETUNE_BATCH, FINETUNE_CROP, MIX_ORDINARY, LAMBDA_ADV)
    assert sent["discriminator_learning_rate"] == DISCRIMINATOR_LR
