"""GeneratorTrainer: trains the ECCV16 colorizer from Lab Examples and a ColorPrior."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import GeneratorConfig, from_dict, to_dict
from colordisc_tf.prior import load_prior
from colordisc_tf.saving import save_generator
from colordisc_tf.train_generator import train_generator, train_generator_data_parallel
from components.artifact_types import ColorPrior
from components.trainer_executor import TrainerArgs, TrainerExecutor

__all__ = ["GeneratorTrainer"]


class GeneratorTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "custom_config": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "color_prior": ChannelParameter(type=ColorPrior),
    }
    OUTPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_run": ChannelParameter(type=standard_artifacts.ModelRun),
    }


class Executor(TrainerExecutor):
    CONFIG = GeneratorConfig

    def train(self, args: TrainerArgs, config: GeneratorConfig) -> dict:
        if config.processes > 1:  # JAX processes train; this one exports their model
            return train_generator_data_parallel(
                config, args.train_files, args.eval_files, args.model_run_dir, args.model_dir,
                args.serving_model_dir, prior_dir=args.input_uris["color_prior"], backup_dir=args.backup_dir)
        prior = load_prior(args.input_uris["color_prior"])
        model, history = train_generator(config, args.train_files, args.eval_files, args.model_run_dir,
                                         prior=prior.prior, weights=prior.weights, backup_dir=args.backup_dir)
        save_generator(model, config, args.model_dir, args.serving_model_dir)
        return history


class GeneratorTrainer(base_component.BaseComponent):
    """Outputs `model` (Format-Serving/ SavedModel + generator.keras) and
    `model_run` (TensorBoard logs). custom_config: a GeneratorConfig dict."""

    SPEC_CLASS = GeneratorTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, color_prior, custom_config=None):
        config = from_dict(GeneratorConfig, custom_config)  # fail at wiring time, not mid-run
        super().__init__(
            spec=GeneratorTrainerSpec(
                examples=examples,
                color_prior=color_prior,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
