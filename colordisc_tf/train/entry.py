"""The one entry of every trainer: `run(config, inputs, output)`, whatever `processes` is.

    generator.run(config, {"train": pattern, "eval": pattern, "color_prior": dir}, output)

With `config.processes` 1 the trainer's `train_and_save` runs in this process and saves the
model with its serving SavedModel. With more, `data_parallel.launch` runs that same
`train_and_save` in JAX processes (the chief saves the Keras model and its config; they have
no TensorFlow to export with) and this process exports the chief's model for serving.
Components, the CLI and tests call `run`; nothing else branches on `processes`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib

from colordisc_tf.config import to_dict
from colordisc_tf.train import data_parallel

__all__ = ["TrainerOutput", "run_trainer", "save_as_chief"]


@dataclasses.dataclass(frozen=True)
class TrainerOutput:
    """Where a trainer writes (TFX Trainer's names where they exist)."""

    model_dir: str  # the Keras file and config.json
    run_dir: str  # TensorBoard logs, history.json (and each process's log when data-parallel)
    serving_dir: str | None = None  # the serving SavedModel; default model_dir/serving
    backup_dir: str | None = None  # BackupAndRestore; default run_dir/backup


def run_trainer(module: str, config, inputs: dict, output: TrainerOutput) -> dict:
    """`module`.train_and_save here, or in config.processes JAX processes followed by the
    export of the chief's model here. Returns the (chief's) history."""
    from colordisc_tf.serve.saving import export_saved

    kwargs = {"config": to_dict(config), "inputs": dict(inputs), "output": dataclasses.asdict(output)}
    if config.processes > 1:
        history = data_parallel.launch_trainer(f"{module}:train_and_save", kwargs, config.processes, output.run_dir)
        export_saved(output.model_dir, output.serving_dir)
        return history
    return importlib.import_module(module).train_and_save(**kwargs, export=True)["history"]


def save_as_chief(save, model, config, history: dict, output: TrainerOutput, export: bool) -> dict:
    """The end of every train_and_save: `save` (saving.save_generator or save_discriminator)
    into output.model_dir on the chief, into a scratch folder elsewhere (saving is collective
    on JAX: every process saves, only the chief's lands); returns what launch collects."""
    from colordisc_tf.train.no_tensorflow import keras_without_tensorflow

    # (exporting a SavedModel needs TensorFlow; a Keras file alone does not)
    quiet = keras_without_tensorflow() if not export else contextlib.nullcontext()
    with data_parallel.chief_or_scratch(output.model_dir) as folder, quiet:
        save(model, config, folder, output.serving_dir, export=export)
    return data_parallel.process_result(model, history)
