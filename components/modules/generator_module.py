"""GeneratorTrainer's module file: re-exports the library, adds only the wiring."""

from colordisc_tf.config import GeneratorConfig, from_dict
from colordisc_tf.prior import load_prior
from colordisc_tf.train_generator import save_generator, train_generator


# TFX calls this (through components.trainer_executor.ModuleExecutor).
def run_fn(fn_args) -> dict:
    config = from_dict(GeneratorConfig, fn_args.custom_config)
    prior = load_prior(fn_args.input_uris["color_prior"])
    model, history = train_generator(
        config,
        fn_args.train_files[0],
        fn_args.eval_files[0],
        fn_args.model_run_dir,
        prior=prior.prior,
        weights=prior.weights,
        backup_dir=fn_args.backup_dir,
    )
    save_generator(model, config, fn_args.model_dir, fn_args.serving_model_dir)
    return {k: v[-1] for k, v in history.items() if isinstance(v, list) and v}
