"""The one decoding value: how a generator's output becomes ab.

`Decoding` is saved with every generator (its GeneratorConfig's `temperature` and `head`,
config.json) and taken whole by every consumer -- serving, the CLI, the Colorize
component, fine-tuning, before/after, guided decoding -- so none of them re-types a
default. `keras_ops.decode_ab` and the `decode_layer.DecodeAb` layer are the only places it
is applied. Plain Python: the config (and so Beam workers) import it without Keras.
"""

from __future__ import annotations

import dataclasses

from colordisc_tf.constants import ANNEAL_T

__all__ = ["HEADS", "Decoding"]

#: "classification": 313 bin logits, annealed mean; "l2": the regression baseline, ab / AB_NORM.
HEADS = ("classification", "l2")


@dataclasses.dataclass(frozen=True)
class Decoding:
    """temperature: of the annealed mean (Zhang et al.: 0.38; the l2 head ignores it);
    head: what the generator outputs, one of HEADS."""

    temperature: float = ANNEAL_T
    head: str = "classification"

    def __post_init__(self):
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature!r}")

    @property
    def anneals(self) -> bool:
        """Whether the temperature means anything (a distribution over bins to anneal)."""
        return self.head == "classification"
