"""FineTuneTrainer's module file: re-exports the library, adds only the wiring."""

import logging
import shutil

from colordisc_tf.config import FineTuneConfig, GeneratorConfig, from_dict
from colordisc_tf.finetune import distribution_scope, finetune_dataset, finetune_generator
from colordisc_tf.prior import load_prior
from colordisc_tf.record_format import split_file_pattern
from colordisc_tf.records import count_records
from colordisc_tf.train_discriminator import load_discriminator
from colordisc_tf.train_generator import load_generator, save_generator


# TFX calls this (through components.trainer_executor.ModuleExecutor).
def run_fn(fn_args) -> dict:
    import json
    import os

    config = from_dict(FineTuneConfig, fn_args.custom_config)
    base_dir = fn_args.input_uris["generator"]
    with open(os.path.join(base_dir, "config.json")) as f:
        generator_config = from_dict(GeneratorConfig, json.load(f))
    if not count_records(fn_args.train_files[0], 1):
        logging.warning("FineTuneTrainer: no failure cases in the train split; passing the base generator on unchanged")
        save_generator(load_generator(base_dir), generator_config, fn_args.model_dir, fn_args.serving_model_dir)
        return {"finetuned": 0}
    prior = load_prior(fn_args.input_uris["color_prior"])
    ordinary = split_file_pattern(fn_args.input_uris["ordinary"], "train")
    with distribution_scope(config.strategy):
        generator = load_generator(base_dir)  # variables created under the strategy
        history = finetune_generator(
            config, generator, load_discriminator(fn_args.input_uris["discriminator"]),
            finetune_dataset(fn_args.train_files[0], ordinary, config), fn_args.model_run_dir,
            class_weights=prior.weights, backup_dir=fn_args.backup_dir,
        )
    save_generator(generator, generator_config, fn_args.model_dir, fn_args.serving_model_dir)
    shutil.copy(os.path.join(fn_args.model_run_dir, "history.json"), os.path.join(fn_args.model_dir, "finetune_history.json"))
    return {"finetuned": 1, **{k: v[-1] for k, v in history.items() if isinstance(v, list) and v}}
