"""Fits a generator's chroma gain (Decoding.chroma_gain) on held-out photos: the gain at which its
colorizations are, on average, as colourful as the photos themselves (or `below` CF points less).

A small colorizer trained on a few hundred photos hedges between hues, and the annealed mean of a
hedged distribution is duller than any of its hues: the 2026-12-04 GCompris runs beat grey on raw
AuC but had CF 37-43 where the photos have 60 (docs/starter.md). Scaling the decoded ab is the
one-number correction; it is fitted on photos the model did not train on and that the goal is not
judged on, so that the photos nobody here chose still measure it honestly.

CF (Hasler and Süsstrunk) is linear in ab until sRGB clips, so `gain <- gain * CF_target / CF(gain)`
lands in two or three steps. The target may sit `below` the photos' CF: colour the network is unsure
of costs raw AuC (docs/starter.md: 0.3-0.7 points per 0.1 of gain), so a caller that tolerates some
ΔCF can aim under the photos' CF and keep raw AuC.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from colordisc_tf.metrics import colorfulness

__all__ = ["GAIN_BOUNDS", "ChromaFit", "fit_chroma_gain"]

#: a fitted gain outside these says the model, not its decoding, is wrong: clipped, and said so
GAIN_BOUNDS = (0.5, 2.5)


@dataclasses.dataclass(frozen=True)
class ChromaFit:
    gain: float
    cf_truth: float  # the mean CF of the photos
    cf_before: float  # of the colorizations at the network's own gain
    cf_after: float  # at `gain`
    photos: int
    clipped: bool
    below: float = 0.0  # the CF aimed at: cf_truth - below

    def describe(self) -> str:
        aim = f", aimed {self.below:g} under" if self.below else ""
        return (f"chroma gain {self.gain:.3f} fitted on {self.photos} held-out photos: mean CF "
                f"{self.cf_before:.1f} -> {self.cf_after:.1f} (the photos': {self.cf_truth:.1f}{aim})"
                + (f"; clipped to {GAIN_BOUNDS}" if self.clipped else ""))


def fit_chroma_gain(network, truths: list[np.ndarray], steps: int = 4, below: float = 0.0) -> ChromaFit:
    """network: a model_ref.GeneratorNetwork (raw, decoding, model_size); truths: (H, W, 3) uint8
    cuts. The gain makes the colorizations' mean CF the photos' mean CF minus `below`. The network
    runs once per photo; each step only decodes again."""
    from colordisc_tf.evaluate.holdout import raw_once, served_cut

    if not truths:
        raise ValueError("no photos to fit the chroma gain on")
    raw_of = raw_once(network)

    def mean_cf(gain: float) -> float:
        decoding = dataclasses.replace(network.decoding, chroma_gain=gain)
        return float(np.mean([colorfulness(served_cut(raw_of(i), rgb, network.model_size, decoding))
                              for i, rgb in enumerate(truths)]))

    cf_truth = float(np.mean([colorfulness(rgb) for rgb in truths]))
    target = max(cf_truth - below, 0.0)
    start = network.decoding.chroma_gain
    gain, cf = start, mean_cf(start)
    cf_before, clipped = cf, False
    for _ in range(steps):
        if cf <= 0:
            break
        wanted = gain * target / cf
        clipped = not GAIN_BOUNDS[0] <= wanted <= GAIN_BOUNDS[1]
        gain = float(np.clip(wanted, *GAIN_BOUNDS))
        cf = mean_cf(gain)
        if clipped or abs(cf - target) < 0.05:
            break
    return ChromaFit(round(gain, 4), cf_truth, cf_before, cf, len(truths), clipped, below)
