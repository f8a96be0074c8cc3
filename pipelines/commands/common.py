"""What every command shares: the one-line user error, the --model forms, the output-folder check."""

from __future__ import annotations

import os

__all__ = ["UserError", "MODEL_FORMS", "output_apart_from"]

#: every --model / --discriminator takes these (colordisc_tf.serve.model_ref.resolve_model)
MODEL_FORMS = ("a pushed folder saved_models/<name> (its newest version), a version folder, a SavedModel, or a model "
               "directory (generator.keras / discriminator.keras + config.json)")


class UserError(Exception):
    """A mistake in how the command was called: shown as one line, exit code 2."""


def output_apart_from(paths: list[str], output_arg: str) -> str:
    """The absolute --output, refused when it holds any input (the outputs could replace them)."""
    output = os.path.abspath(output_arg)
    inside = [p for p in paths if os.path.realpath(p).startswith(os.path.realpath(output) + os.sep)]
    if inside:
        raise UserError(f"--output {output_arg} holds {len(inside)} of the inputs ({inside[0]}): the outputs "
                        "could replace them; write to another folder")
    return output
