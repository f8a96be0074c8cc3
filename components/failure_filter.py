"""FailureFilter: the photos whose colorizations scored least real, per split."""

import json

from absl import logging
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.config import failure_selection
from colordisc_tf.evaluate.failures import select_failures, write_failure_examples
from colordisc_tf.evaluate.scoring import read_scores
from components.artifact_types import RealnessScores

__all__ = ["FailureFilter"]


class FailureFilterSpec(ComponentSpec):
    PARAMETERS = {"selection": ExecutionParameter(type=str)}  # JSON: {"quantile": q} or {"threshold": t}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "scores": ChannelParameter(type=RealnessScores),
    }
    OUTPUTS = {"failures": ChannelParameter(type=standard_artifacts.Examples)}


class Executor(base_executor.BaseExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        real = artifact_utils.get_single_instance(input_dict["examples"])
        rows = read_scores(artifact_utils.get_single_uri(input_dict["scores"]))
        out = artifact_utils.get_single_instance(output_dict["failures"])
        selection = json.loads(exec_properties["selection"])
        splits = artifact_utils.decode_split_names(real.split_names)
        manifest = [m for split in splits for m in select_failures(rows, split, **selection)]
        counts = write_failure_examples(real.uri, manifest, out.uri, splits)
        out.split_names = artifact_utils.encode_split_names(splits)
        for split, count in counts.items():
            out.set_int_custom_property(f"selected_{split}", count)
            if not count:
                logging.warning("FailureFilter: no %s photos selected with %s; downstream gets an empty split",
                                split, selection)


class FailureFilter(base_component.BaseComponent):
    """Outputs `failures`: Examples (the real L and true ab of the selected photos)
    with manifest.jsonl (id, score, rank). Train and eval selections come from
    disjoint photo sets (splits are by content hash)."""

    SPEC_CLASS = FailureFilterSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, scores, quantile: float | None = 0.25, threshold: float | None = None):
        selection = failure_selection(quantile, threshold)  # refused here, at wiring time, not mid-run
        super().__init__(
            spec=FailureFilterSpec(
                examples=examples, scores=scores, selection=json.dumps(selection),
                failures=channel_utils.as_channel([standard_artifacts.Examples()]),
            )
        )
