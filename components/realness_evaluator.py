"""RealnessEvaluator: scores real and colorized photos (Beam), metrics, plots, worst cases."""

import os

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.evaluate.report import write_report
from colordisc_tf.evaluate.scoring import read_scores, run_scoring
from components.artifact_types import RealnessScores
from components.beam_executor import LocalFriendlyBeamExecutor

__all__ = ["RealnessEvaluator"]


class RealnessEvaluatorSpec(ComponentSpec):
    PARAMETERS = {"worst": ExecutionParameter(type=int), "batch_size": ExecutionParameter(type=int)}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "colorized": ChannelParameter(type=standard_artifacts.Examples),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
    }
    OUTPUTS = {"scores": ChannelParameter(type=RealnessScores)}


class Executor(LocalFriendlyBeamExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        real = artifact_utils.get_single_instance(input_dict["examples"])
        colorized = artifact_utils.get_single_uri(input_dict["colorized"])
        model = artifact_utils.get_single_uri(input_dict["discriminator"])
        out = artifact_utils.get_single_instance(output_dict["scores"])
        splits = artifact_utils.decode_split_names(real.split_names)
        run_scoring(model, real.uri, colorized, out.uri, splits, exec_properties["batch_size"], self._beam_pipeline_args)
        result = write_report(read_scores(out.uri), os.path.join(out.uri, "report"), exec_properties["worst"],
                              "eval", real.uri, colorized)
        for key in ("error", "roc_auc", "fool_rate"):
            if key in result:
                out.set_float_custom_property(key, result[key])


class RealnessEvaluator(base_beam_component.BaseBeamComponent):
    """Outputs `scores`: scores.jsonl (every photo, every split) and report/
    (metrics.json, histogram.png, worst_*.png) for the eval split."""

    SPEC_CLASS = RealnessEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

    def __init__(self, examples, colorized, discriminator, worst: int = 8, batch_size: int = 32):
        super().__init__(
            spec=RealnessEvaluatorSpec(
                examples=examples, colorized=colorized, discriminator=discriminator, worst=worst,
                batch_size=batch_size, scores=channel_utils.as_channel([RealnessScores()]),
            )
        )
