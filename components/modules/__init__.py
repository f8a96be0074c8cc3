"""Module files for the trainer components (`run_fn(fn_args)`, as TFX trainers have)."""
