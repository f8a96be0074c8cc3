"""FineTuneTrainer: the generator fine-tuned adversarially on its failure cases."""

import json
import logging
import os
import shutil

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import FineTuneConfig, from_dict, to_dict
from colordisc_tf.finetune import (
    distribution_scope,
    finetune_dataset,
    finetune_generator,
    finetune_generator_data_parallel,
)
from colordisc_tf.prior import load_prior
from colordisc_tf.record_format import split_file_pattern
from colordisc_tf.records import count_records
from colordisc_tf.saving import load_discriminator, load_generator, save_generator
from components.artifact_types import ColorPrior
from components.trainer_executor import TrainerArgs, TrainerExecutor

__all__ = ["FineTuneTrainer"]


class FineTuneTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "custom_config": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),  # FailureFilter's failures
        "ordinary": ChannelParameter(type=standard_artifacts.Examples),  # mixed in against forgetting
        "generator": ChannelParameter(type=standard_artifacts.Model),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
        "color_prior": ChannelParameter(type=ColorPrior),
    }
    OUTPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_run": ChannelParameter(type=standard_artifacts.ModelRun),
    }


class Executor(TrainerExecutor):
    CONFIG = FineTuneConfig

    def train(self, args: TrainerArgs, config: FineTuneConfig) -> dict:
        base_dir = args.input_uris["generator"]
        if not count_records(args.train_files, 1):
            logging.warning("FineTuneTrainer: no failure cases in the train split; passing the base generator on "
                            "unchanged")
            save_generator(*load_generator(base_dir), args.model_dir, args.serving_model_dir)
            return {"finetuned": 0}
        ordinary = split_file_pattern(args.input_uris["ordinary"], "train")
        if config.processes > 1:  # JAX processes fine-tune; this one exports their generator
            history = finetune_generator_data_parallel(
                config, args.train_files, ordinary, base_dir, args.input_uris["discriminator"],
                args.input_uris["color_prior"], args.model_run_dir, args.model_dir, args.serving_model_dir,
                backup_dir=args.backup_dir)
            return self._with_history_copy(args, history)
        prior = load_prior(args.input_uris["color_prior"])
        with distribution_scope(config.strategy):
            generator, generator_config = load_generator(base_dir)  # variables created under the strategy
            history = finetune_generator(
                config, generator, load_discriminator(args.input_uris["discriminator"])[0],
                finetune_dataset(args.train_files, ordinary, config), args.model_run_dir,
                class_weights=prior.weights, backup_dir=args.backup_dir, temperature=generator_config.temperature,
            )
        save_generator(generator, generator_config, args.model_dir, args.serving_model_dir)
        return self._with_history_copy(args, history)

    @staticmethod
    def _with_history_copy(args: TrainerArgs, history: dict) -> dict:
        shutil.copy(os.path.join(args.model_run_dir, "history.json"),
                    os.path.join(args.model_dir, "finetune_history.json"))
        return {"finetuned": 1, **history}


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
                color_prior=color_prior,                 custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
