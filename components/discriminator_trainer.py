"""DiscriminatorTrainer: real Lab photos (1) vs the generator's colorizations of them (0)."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec

from colordisc_tf.config import DiscriminatorConfig, from_dict, to_dict
from colordisc_tf.data.record_format import split_file_pattern
from colordisc_tf.train import discriminator
from components.trainer_executor import TRAINER_OUTPUTS, TRAINER_PARAMETERS, TrainerArgs, TrainerExecutor

__all__ = ["DiscriminatorTrainer"]


class DiscriminatorTrainerSpec(ComponentSpec):
    PARAMETERS = TRAINER_PARAMETERS
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),  # real
        "colorized": ChannelParameter(type=standard_artifacts.Examples),  # Colorize's output
    }
    OUTPUTS = TRAINER_OUTPUTS


class Executor(TrainerExecutor):
    CONFIG = DiscriminatorConfig

    def train(self, args: TrainerArgs, config: DiscriminatorConfig) -> dict:
        colorized = args.input_uris["colorized"]
        inputs = {"real_train": args.train_files, "colorized_train": split_file_pattern(colorized, "train"),
                  "real_eval": args.eval_files, "colorized_eval": split_file_pattern(colorized, "eval")}
        return discriminator.run(config, inputs, args.output)


class DiscriminatorTrainer(base_component.BaseComponent):
    """Trains on the train split's pairs, reports error/AUC on the eval split's."""

    SPEC_CLASS = DiscriminatorTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, colorized, custom_config=None):
        config = from_dict(DiscriminatorConfig, custom_config)
        super().__init__(
            spec=DiscriminatorTrainerSpec(
                examples=examples, colorized=colorized,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
