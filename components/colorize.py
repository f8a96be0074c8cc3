"""Colorize: bulk inference of the generator over every split of an Examples artifact."""

from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.serve.bulk_colorize import colorize_examples
from colordisc_tf.serve.saving import load_generator

__all__ = ["Colorize"]


class ColorizeSpec(ComponentSpec):
    PARAMETERS = {"batch_size": ExecutionParameter(type=int)}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "model": ChannelParameter(type=standard_artifacts.Model),
    }
    OUTPUTS = {"colorized": ChannelParameter(type=standard_artifacts.Examples)}


class Executor(base_executor.BaseExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        model_uri = artifact_utils.get_single_uri(input_dict["model"])
        out = artifact_utils.get_single_instance(output_dict["colorized"])
        generator, config = load_generator(model_uri)
        splits = artifact_utils.decode_split_names(examples.split_names)
        counts = colorize_examples(generator, examples.uri, out.uri, config.decoding, splits,
                                   batch_size=exec_properties["batch_size"])
        out.split_names = artifact_utils.encode_split_names(splits)
        for split, n in counts.items():
            out.set_int_custom_property(f"colorized_{split}", n)


class Colorize(base_component.BaseComponent):
    """Writes `colorized`: the same records with the generator's ab (real L kept)."""

    SPEC_CLASS = ColorizeSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, model, batch_size: int = 32):
        super().__init__(
            spec=ColorizeSpec(
                examples=examples, model=model, batch_size=batch_size,
                colorized=channel_utils.as_channel([standard_artifacts.Examples()]),
            )
        )
