"""ColorPriorGen: writes the ColorPrior artifact (the train split's ab distribution and rebalancing weights)."""

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.data.prior import run_prior
from colordisc_tf.data.records import split_file_pattern
from components.artifact_types import ColorPrior
from components.beam_executor import LocalFriendlyBeamExecutor

__all__ = ["ColorPriorGen"]


class ColorPriorGenSpec(ComponentSpec):
    PARAMETERS = {
        "split": ExecutionParameter(type=str),
        "lam": ExecutionParameter(type=float),
        "sigma": ExecutionParameter(type=float),
    }
    INPUTS = {"examples": ChannelParameter(type=standard_artifacts.Examples)}
    OUTPUTS = {"color_prior": ChannelParameter(type=ColorPrior)}


class Executor(LocalFriendlyBeamExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        out = artifact_utils.get_single_instance(output_dict["color_prior"])
        prior = run_prior(
            split_file_pattern(examples.uri, exec_properties["split"]),
            out.uri,
            lam=exec_properties["lam"],
            sigma=exec_properties["sigma"],
            beam_args=self._beam_pipeline_args,
        )
        summary = prior.summary()
        out.set_int_custom_property("pixels", summary["pixels"])
        out.set_int_custom_property("bins_seen", summary["bins_seen"])


class ColorPriorGen(base_beam_component.BaseBeamComponent):
    """Beam combine over one split: prior p, smoothed p̃, weights w, and a plot."""

    SPEC_CLASS = ColorPriorGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

    def __init__(self, examples, split: str = "train", lam: float = 0.5, sigma: float = 5.0):
        super().__init__(
            spec=ColorPriorGenSpec(
                examples=examples,
                split=split,
                lam=float(lam),
                sigma=float(sigma),
                color_prior=channel_utils.as_channel([ColorPrior()]),
            )
        )
