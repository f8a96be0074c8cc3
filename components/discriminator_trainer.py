"""DiscriminatorTrainer: real Lab photos (1) vs the generator's colorizations of them (0)."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import DiscriminatorConfig, from_dict, to_dict
from colordisc_tf.record_format import split_file_pattern
from colordisc_tf.saving import save_discriminator
from colordisc_tf.train_discriminator import train_discriminator, train_discriminator_data_parallel
from components.trainer_executor import TrainerArgs, TrainerExecutor

__all__ = ["DiscriminatorTrainer"]


class DiscriminatorTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "custom_config": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),  # real
        "colorized": ChannelParameter(type=standard_artifacts.Examples),  # Colorize's output
    }
    OUTPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_run": ChannelParameter(type=standard_artifacts.ModelRun),
    }


class Executor(TrainerExecutor):
    CONFIG = DiscriminatorConfig

    def train(self, args: TrainerArgs, config: DiscriminatorConfig) -> dict:
        colorized = args.input_uris["colorized"]
        if config.processes > 1:  # JAX processes train; this one exports their model
            return train_discriminator_data_parallel(
                config, args.train_files, split_file_pattern(colorized, "train"), args.model_run_dir,
                args.model_dir, args.serving_model_dir, backup_dir=args.backup_dir)
        model, history = train_discriminator(
            config, real_train=args.train_files, colorized_train=split_file_pattern(colorized, "train"),
            real_eval=args.eval_files, colorized_eval=split_file_pattern(colorized, "eval"),
            output_dir=args.model_run_dir, backup_dir=args.backup_dir,
        )
        save_discriminator(model, config, args.model_dir, args.serving_model_dir)
        return history


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
