"""FineTuneTrainer: the generator fine-tuned adversarially on its failure cases."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import FineTuneConfig, from_dict, to_dict
from components.artifact_types import ColorPriorArtifact
from components.trainer_executor import ModuleExecutor

__all__ = ["FineTuneTrainer"]


class FineTuneTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "module_path": ExecutionParameter(type=str),
        "custom_config": ExecutionParameter(type=str),
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),  # FailureFilter's failures
        "ordinary": ChannelParameter(type=standard_artifacts.Examples),  # mixed in against forgetting
        "generator": ChannelParameter(type=standard_artifacts.Model),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
        "color_prior": ChannelParameter(type=ColorPriorArtifact),
    }
    OUTPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_run": ChannelParameter(type=standard_artifacts.ModelRun),
    }


class FineTuneTrainer(base_component.BaseComponent):
    """custom_config: a FineTuneConfig dict. With no train-split failures the base
    generator passes through unchanged (custom property finetuned = 0)."""

    SPEC_CLASS = FineTuneTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(ModuleExecutor)

    def __init__(self, failures, ordinary, generator, discriminator, color_prior, custom_config=None,
                 module_path: str = "components.modules.finetune_module"):
        config = from_dict(FineTuneConfig, custom_config)
        super().__init__(
            spec=FineTuneTrainerSpec(
                examples=failures, ordinary=ordinary, generator=generator, discriminator=discriminator,
                color_prior=color_prior, module_path=module_path,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
