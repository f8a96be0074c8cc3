"""GeneratorTrainer: trains the ECCV16 colorizer from Lab Examples and a ColorPrior."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import GeneratorConfig, from_dict, to_dict
from colordisc_tf.train import generator
from components.artifact_types import ColorPrior
from components.trainer_executor import TRAINER_OUTPUTS, TRAINER_PARAMETERS, TrainerArgs, TrainerExecutor

__all__ = ["GeneratorTrainer"]


class GeneratorTrainerSpec(ComponentSpec):
    # init_fingerprint: the content hash of the model `init` names (the shipped starter, a path), so a
    # changed init is a new cache key while the config's `init` string stays the same
    PARAMETERS = {**TRAINER_PARAMETERS, "init_fingerprint": ExecutionParameter(type=str, optional=True)}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "color_prior": ChannelParameter(type=ColorPrior),
    }
    OUTPUTS = TRAINER_OUTPUTS


class Executor(TrainerExecutor):
    CONFIG = GeneratorConfig

    def train(self, args: TrainerArgs, config: GeneratorConfig) -> dict:
        inputs = {"train": args.train_files, "eval": args.eval_files, "color_prior": args.input_uris["color_prior"]}
        return generator.run(config, inputs, args.output)


class GeneratorTrainer(base_component.BaseComponent):
    """Outputs `model` (Format-Serving/ SavedModel + generator.keras) and
    `model_run` (TensorBoard logs). custom_config: a GeneratorConfig dict."""

    SPEC_CLASS = GeneratorTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, color_prior, custom_config=None, init_fingerprint: str | None = None):
        config = from_dict(GeneratorConfig, custom_config)  # fail at wiring time, not mid-run
        super().__init__(
            spec=GeneratorTrainerSpec(
                examples=examples,
                color_prior=color_prior,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                init_fingerprint=init_fingerprint,
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
