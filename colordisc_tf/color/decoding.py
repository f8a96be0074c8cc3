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
    head: what the generator outputs, one of HEADS;
    chroma_gain: the decoded ab times this. 1: the paper's decoding. A colourfulness calibration,
    fitted on held-out photos (ship-starter fits the starter's, docs/starter.md): a small colorizer
    trained on few photos hedges, and its annealed mean comes out duller than photos are;
    confidence_power: > 0 scales each pixel's chroma gain by (confidence / its mean over the image) ** it,
    confidence = 1 - H(p) / log Q of the network's bin distribution p (1: one bin, 0: uniform): within
    each image, colour moves from where the network is unsure to where it is sure, and the image's
    overall colour stays about what the gain sets (measured against the photo's own mean, a confidence
    that differs between kinds of photo does not make whole photos duller). 0: every pixel the same
    gain (the paper's). On the starter, with the gain fitted on its hold-out, 3 raised raw AuC on four
    networks of four measured (docs/starter.md, "Colour where the network is sure"). Classification
    head only."""

    temperature: float = ANNEAL_T
    head: str = "classification"
    chroma_gain: float = 1.0
    confidence_power: float = 0.0

    def __post_init__(self):
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature!r}")
        if not self.chroma_gain > 0:
            raise ValueError(f"chroma_gain must be > 0, got {self.chroma_gain!r}")
        if not self.confidence_power >= 0:
            raise ValueError(f"confidence_power must be >= 0, got {self.confidence_power!r}")
        if self.confidence_power and not self.anneals:
            raise ValueError(f"confidence_power needs a bin distribution: the {self.head!r} head has none")

    @classmethod
    def from_settings(cls, settings: dict) -> Decoding:
        """From a serving SavedModel's `settings` signature (NumPy values). SavedModels exported
        before chroma_gain or confidence_power existed have none: 1 and 0, the decoding they were
        exported with."""
        head = settings["head"]
        return cls(float(settings["temperature"]), head.decode() if isinstance(head, bytes) else str(head),
                   float(settings.get("chroma_gain", 1.0)), float(settings.get("confidence_power", 0.0)))

    @property
    def anneals(self) -> bool:
        """Whether the temperature means anything (a distribution over bins to anneal)."""
        return self.head == "classification"
