"""The shared half of the three trainer components: artifact paths in, metrics out.

The stock TFX Trainer does not import without TFDV (see docs/install.md), and a `run_fn` module
file would add a string import with nothing a user could usefully swap, so each trainer
component's Executor subclasses this one and calls the library in `train`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from colordisc_tf.config import from_dict
from colordisc_tf.data.record_format import split_file_pattern
from colordisc_tf.train.entry import TrainerOutput

__all__ = ["TRAINER_OUTPUTS", "TRAINER_PARAMETERS", "TrainerArgs", "TrainerExecutor"]


#: Every trainer component's parameter (its config section as JSON) and outputs.
TRAINER_PARAMETERS = {"custom_config": ExecutionParameter(type=str)}
TRAINER_OUTPUTS = {
    "model": ChannelParameter(type=standard_artifacts.Model),  # Format-Serving/ + the Keras file + config.json
    "model_run": ChannelParameter(type=standard_artifacts.ModelRun),  # TensorBoard logs, history.json
}


@dataclasses.dataclass
class TrainerArgs:
    """Where a trainer reads and writes (TFX Trainer's names where they exist)."""

    train_files: str  # file pattern of the `examples` train split
    eval_files: str  # ... and of its eval split
    input_uris: dict[str, str]  # every other input artifact, by input name
    # model_dir: <model> (the Keras file, config.json); serving_dir: <model>/Format-Serving (what
    # Pusher pushes); run_dir: <model_run>; backup_dir: stable across retries of the same inputs + config
    output: TrainerOutput


class TrainerExecutor(base_executor.BaseExecutor):
    """Subclasses set CONFIG (the config dataclass of `custom_config`) and implement
    train(args, config) -> {name: number or per-epoch list}; each number, and each list's
    last value, becomes a custom property of the model."""

    CONFIG: type

    def train(self, args: TrainerArgs, config) -> dict:
        raise NotImplementedError

    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        model = artifact_utils.get_single_instance(output_dict["model"])
        model_run = artifact_utils.get_single_instance(output_dict["model_run"])
        config_dict = json.loads(exec_properties.get("custom_config") or "{}")
        input_uris = {
            key: artifact_utils.get_single_uri(artifacts)
            for key, artifacts in input_dict.items()
            if key != "examples" and artifacts
        }
        key = hashlib.sha256(json.dumps([examples.uri, input_uris, config_dict], sort_keys=True).encode()).hexdigest()
        node_dir = os.path.dirname(os.path.dirname(model_run.uri))
        args = TrainerArgs(
            train_files=split_file_pattern(examples.uri, "train"),
            eval_files=split_file_pattern(examples.uri, "eval"),
            input_uris=input_uris,
            output=TrainerOutput(model_dir=model.uri, run_dir=model_run.uri,
                                 serving_dir=os.path.join(model.uri, "Format-Serving"),
                                 backup_dir=os.path.join(node_dir, ".backup", key[:16])),
        )
        for name, value in (self.train(args, from_dict(self.CONFIG, config_dict)) or {}).items():
            if isinstance(value, list) and value:
                value = value[-1]
            if isinstance(value, (int, float)):
                model.set_float_custom_property(name, float(value))
