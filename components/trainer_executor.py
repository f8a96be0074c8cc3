"""A Trainer-like executor: loads a module file and calls its `run_fn(fn_args)`.

The stock TFX Trainer does not import without TFDV (see README), so the
project's trainers are custom components sharing this executor; module files
read like TFX trainer modules.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os

from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from colordisc_tf.record_format import split_file_pattern

__all__ = ["FnArgs", "ModuleExecutor"]


@dataclasses.dataclass
class FnArgs:
    """What `run_fn` gets: TFX Trainer's names where they exist."""

    train_files: list[str]
    eval_files: list[str]
    serving_model_dir: str  # <model>/Format-Serving: what Pusher pushes
    model_dir: str  # <model>: the Keras file and config live here
    model_run_dir: str  # TensorBoard logs
    backup_dir: str  # BackupAndRestore: stable across retries of the same inputs + config
    custom_config: dict
    input_uris: dict[str, str]  # every other input artifact, by input name


class ModuleExecutor(base_executor.BaseExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        module = importlib.import_module(exec_properties["module_path"])
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        model = artifact_utils.get_single_instance(output_dict["model"])
        model_run = artifact_utils.get_single_instance(output_dict["model_run"])
        config = json.loads(exec_properties.get("custom_config") or "{}")
        input_uris = {
            key: artifact_utils.get_single_uri(artifacts)
            for key, artifacts in input_dict.items()
            if key != "examples" and artifacts
        }
        key = hashlib.sha256(json.dumps([examples.uri, input_uris, config], sort_keys=True).encode()).hexdigest()[:16]
        node_dir = os.path.dirname(os.path.dirname(model_run.uri))
        fn_args = FnArgs(
            train_files=[split_file_pattern(examples.uri, exec_properties.get("train_split") or "train")],
            eval_files=[split_file_pattern(examples.uri, exec_properties.get("eval_split") or "eval")],
            serving_model_dir=os.path.join(model.uri, "Format-Serving"),
            model_dir=model.uri,
            model_run_dir=model_run.uri,
            backup_dir=os.path.join(node_dir, ".backup", key),
            custom_config=config,
            input_uris=input_uris,
        )
        result = module.run_fn(fn_args) or {}
        for name, value in result.items():
            if isinstance(value, (int, float)):
                model.set_float_custom_property(name, float(value))
