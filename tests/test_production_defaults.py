"""The paper's numbers where production reads them: the config sections (their defaults and
the shipped presets) and the losses the trainers actually build from them. Tests of a
function's own defaults pin a twin that production never calls: the trainers pass k, sigma,
lambda and the decoding from the configs."""

import pytest

from colordisc_tf.config import FineTuneConfig, GeneratorConfig, PipelineConfig, PriorConfig, load_config

PRESETS = ("pipelines/configs/demo.json", "pipelines/configs/full.json", "pipelines/configs/starter.json")
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
