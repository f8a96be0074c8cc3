"""GeneratorTrainer: trains the ECCV16 colorizer from Lab Examples and a ColorPrior."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import GeneratorConfig, from_dict, to_dict
from components.artifact_types import ColorPriorArtifact
from components.trainer_executor import ModuleExecutor

__all__ = ["GeneratorTrainer"]


class GeneratorTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "module_path": ExecutionParameter(type=str),
        "custom_config": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "color_prior": ChannelParameter(type=ColorPriorArtifact),
    }
    OUTPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_run": ChannelParameter(type=standard_artifacts.ModelRun),
    }


class GeneratorTrainer(base_component.BaseComponent):
    """Outputs `model` (Format-Serving/ SavedModel + generator.keras) and
    `model_run` (TensorBoard logs). custom_config: a GeneratorConfig dict."""

    SPEC_CLASS = GeneratorTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(ModuleExecutor)

    def __init__(self, examples, color_prior, custom_config=None,
                 module_path: str = "components.modules.generator_module"):
        config = from_dict(GeneratorConfig, custom_config)  # fail at wiring time, not mid-run
        super().__init__(
            spec=GeneratorTrainerSpec(
                examples=examples,
                color_prior=color_prior,
                module_path=module_path,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
