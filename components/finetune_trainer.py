"""FineTuneTrainer: the generator fine-tuned adversarially on its failure cases."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec

from colordisc_tf.config import FineTuneConfig, from_dict, to_dict
from colordisc_tf.data.record_format import split_file_pattern
from colordisc_tf.train import finetune
from components.artifact_types import ColorPrior
from components.trainer_executor import TRAINER_OUTPUTS, TRAINER_PARAMETERS, TrainerArgs, TrainerExecutor

__all__ = ["FineTuneTrainer"]


class FineTuneTrainerSpec(ComponentSpec):
    PARAMETERS = TRAINER_PARAMETERS
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),  # FailureFilter's failures
        "ordinary": ChannelParameter(type=standard_artifacts.Examples),  # mixed in against forgetting
        "generator": ChannelParameter(type=standard_artifacts.Model),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
        "color_prior": ChannelParameter(type=ColorPrior),
    }
    OUTPUTS = TRAINER_OUTPUTS


class Executor(TrainerExecutor):
    CONFIG = FineTuneConfig

    def train(self, args: TrainerArgs, config: FineTuneConfig) -> dict:
        uris = args.input_uris
        inputs = {"failures": args.train_files, "ordinary": split_file_pattern(uris["ordinary"], "train"),
                  "generator": uris["generator"], "discriminator": uris["discriminator"],
                  "color_prior": uris["color_prior"]}
        return finetune.run(config, inputs, args.output)


class FineTuneTrainer(base_component.BaseComponent):
    """custom_config: a FineTuneConfig dict. With no train-split failures the base
    generator passes through unchanged (custom property finetuned = 0)."""

    SPEC_CLASS = FineTuneTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, failures, ordinary, generator, discriminator, color_prior, custom_config=None):
        config = from_dict(FineTuneConfig, custom_config)
        super().__init__(
            spec=FineTuneTrainerSpec(
                examples=failures, ordinary=ordinary, generator=generator, discriminator=discriminator,
                color_prior=color_prior, custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
