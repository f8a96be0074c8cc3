"""LabExampleGen: image folders -> Lab Examples (train/eval), rejects.jsonl, summary.json."""

import json
import os

from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.infra.beam_options import default_beam_args
from colordisc_tf.data.preprocess import SPLITS, fingerprint_inputs, run_preprocess
from colordisc_tf.config import PreprocessConfig, from_dict, to_dict
from components.beam_executor import LocalFriendlyBeamExecutor

__all__ = ["LabExampleGen"]


class LabExampleGenSpec(ComponentSpec):
    PARAMETERS = {
        "input_base": ExecutionParameter(type=str),  # JSON list of folders / files / patterns
        "input_fingerprint": ExecutionParameter(type=str),  # changes when the files do: cache key
        "config": ExecutionParameter(type=str),  # JSON of PreprocessConfig
        "min_photos": ExecutionParameter(type=str),  # JSON {split: fewest photos the run may go on with}
    }
    INPUTS = {}
    OUTPUTS = {"examples": ChannelParameter(type=standard_artifacts.Examples)}


class Executor(LocalFriendlyBeamExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        examples = artifact_utils.get_single_instance(output_dict["examples"])
        config = from_dict(PreprocessConfig, json.loads(exec_properties["config"]))
        summary = run_preprocess(
            json.loads(exec_properties["input_base"]),
            examples.uri,
            config,
            self._beam_pipeline_args or default_beam_args(),
        )
        examples.split_names = artifact_utils.encode_split_names(list(SPLITS))
        for split, count in summary["written"].items():
            examples.set_int_custom_property(f"written_{split}", count)
        examples.set_int_custom_property("inputs", summary["inputs"])
        examples.set_int_custom_property("rejected", summary["rejected_total"])
        examples.set_string_custom_property("rejects", os.path.join(examples.uri, "rejects.jsonl"))
        short = {split: (summary["written"][split], need)
                 for split, need in json.loads(exec_properties.get("min_photos") or "{}").items()
                 if summary["written"][split] < need}
        if short:
            raise ValueError(
                "too few photos to train, evaluate and push on: " + ", ".join(
                    f"{split} split {have} (need {need}: min_{split}_photos)" for split, (have, need) in short.items())
                + f"; {summary['inputs']} inputs, {summary['rejected_total']} rejected (see "
                f"{os.path.join(examples.uri, 'rejects.jsonl')}). Add photos, or lower the minimum in the config.")


class LabExampleGen(base_beam_component.BaseBeamComponent):
    """Beam: decode, crop, convert to Lab, split by content hash, reject with reasons."""

    SPEC_CLASS = LabExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

    def __init__(self, input_base, config: PreprocessConfig = PreprocessConfig(), min_photos: dict | None = None,
                 input_fingerprint: str | None = None):
        """input_fingerprint: the cache key of the inputs; None lists them now (sizes and times)."""
        inputs = [input_base] if isinstance(input_base, str) else [str(p) for p in input_base]
        super().__init__(
            spec=LabExampleGenSpec(
                input_base=json.dumps(inputs),
                input_fingerprint=input_fingerprint or fingerprint_inputs(inputs),
                config=json.dumps(to_dict(config), sort_keys=True),
                min_photos=json.dumps(min_photos or {}, sort_keys=True),
                examples=channel_utils.as_channel([standard_artifacts.Examples()]),
            )
        )

