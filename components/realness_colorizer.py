"""RealnessColorizer: the colorizer users should serve, with its discriminator, in one SavedModel."""

import os

from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec

from colordisc_tf.serve.export import export_colorizer_with_realness
from colordisc_tf.serve.saving import load_discriminator, load_generator

__all__ = ["RealnessColorizer"]


class RealnessColorizerSpec(ComponentSpec):
    PARAMETERS = {}
    INPUTS = {
        "generator": ChannelParameter(type=standard_artifacts.Model),
        "finetuned": ChannelParameter(type=standard_artifacts.Model),
        "blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
    }
    OUTPUTS = {"model": ChannelParameter(type=standard_artifacts.Model)}


class Executor(base_executor.BaseExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        blessed = artifact_utils.get_single_instance(input_dict["blessing"]).get_int_custom_property("blessed")
        which = "finetuned" if blessed else "generator"
        generator, config = load_generator(artifact_utils.get_single_uri(input_dict[which]))
        discriminator, discriminator_config = load_discriminator(artifact_utils.get_single_uri(input_dict["discriminator"]))
        model = artifact_utils.get_single_instance(output_dict["model"])
        export_colorizer_with_realness(
            generator, discriminator, os.path.join(model.uri, "Format-Serving"), config.decoding, config.serving_size,
            discriminator_config.serving_size, config.max_serving_pixels, config.max_serving_images,
            config.max_serving_request_pixels)
        model.set_string_custom_property("generator", "fine-tuned (blessed)" if blessed else "base")


class RealnessColorizer(base_component.BaseComponent):
    """Writes `model`: the fine-tuned generator if it was blessed, else the base one, with the
    discriminator; serving_default colorizes, colorize_with_realness also scores and maps realness."""

    SPEC_CLASS = RealnessColorizerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, generator, finetuned, blessing, discriminator):
        super().__init__(
            spec=RealnessColorizerSpec(
                generator=generator, finetuned=finetuned, blessing=blessing, discriminator=discriminator,
                model=channel_utils.as_channel([standard_artifacts.Model()]),
            )
        )
