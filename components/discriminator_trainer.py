"""DiscriminatorTrainer: real Lab photos (1) vs the generator's colorizations of them (0)."""

import json

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import DiscriminatorConfig, from_dict, to_dict
from components.trainer_executor import ModuleExecutor

__all__ = ["DiscriminatorTrainer"]


class DiscriminatorTrainerSpec(ComponentSpec):
    PARAMETERS = {
        "module_path": ExecutionParameter(type=str),
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


class DiscriminatorTrainer(base_component.BaseComponent):
    """Trains on the train split's pairs, reports error/AUC on the eval split's."""

    SPEC_CLASS = DiscriminatorTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(ModuleExecutor)

    def __init__(self, examples, colorized, custom_config=None,
                 module_path: str = "components.modules.discriminator_module"):
        config = from_dict(DiscriminatorConfig, custom_config)
        super().__init__(
            spec=DiscriminatorTrainerSpec(
                examples=examples, colorized=colorized, module_path=module_path,
                custom_config=json.dumps(to_dict(config), sort_keys=True),
                model=channel_utils.as_channel([standard_artifacts.Model()]),
                model_run=channel_utils.as_channel([standard_artifacts.ModelRun()]),
            )
        )
