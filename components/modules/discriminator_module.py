"""DiscriminatorTrainer's module file: re-exports the library, adds only the wiring."""

from colordisc_tf.config import DiscriminatorConfig, from_dict
from colordisc_tf.record_format import split_file_pattern
from colordisc_tf.train_discriminator import save_discriminator, train_discriminator


# TFX calls this (through components.trainer_executor.ModuleExecutor).
def run_fn(fn_args) -> dict:
    config = from_dict(DiscriminatorConfig, fn_args.custom_config)
    colorized = fn_args.input_uris["colorized"]
    model, history = train_discriminator(
        config,
        real_train=fn_args.train_files[0],
        fake_train=split_file_pattern(colorized, "train"),
        real_eval=fn_args.eval_files[0],
        fake_eval=split_file_pattern(colorized, "eval"),
        output_dir=fn_args.model_run_dir,
        backup_dir=fn_args.backup_dir,
    )
    save_discriminator(model, config, fn_args.model_dir, fn_args.serving_model_dir)
    return {k: v[-1] for k, v in history.items() if isinstance(v, list) and v}
