"""Realness-guided decoding: the discriminator picks each image's annealing temperature.

The generator predicts a distribution over the 313 ab bins per pixel; the annealed mean
at T = 0.38 is the paper's fixed compromise between the mean (T = 1: desaturated) and
the mode (T -> 0: vivid, patchy). Here every image is decoded at a few temperatures and
the discriminator scores each decoding; the image keeps the one it finds most real. A prior
keeps the base temperature unless another beats it by more than `margin` in realness,
so ties and near-ties (a discriminator that cannot tell) leave the paper's decoding unchanged.
No retraining; keras.ops only (any backend).
"""

from __future__ import annotations

from dataclasses import replace

from keras import ops

from colordisc_tf.color.decoding import Decoding
from colordisc_tf.constants import ANNEAL_T
from colordisc_tf.models.discriminator import realness
from colordisc_tf.color.keras_ops import decode_ab

__all__ = ["GUIDED_TEMPERATURES", "guided_decode"]

#: Candidate temperatures, the base one included.
GUIDED_TEMPERATURES = (0.2, 0.3, ANNEAL_T, 0.5, 0.6)


def guided_decode(logits, l_chan, discriminator, decoding: Decoding, temperatures=GUIDED_TEMPERATURES,
                  margin: float = 0.02):
    """logits (B, h, w, 313), L (B, H, W, 1), a discriminator (Lab -> patch logits) ->
    (ab (B, H, W, 2), chosen temperature (B,), realness of every candidate (B, K)).

    Per image: the candidate with the highest realness, where every candidate but `base`
    first loses `margin` (the prior). The base is decoding's temperature; only a classification
    head has a distribution to anneal."""
    if not decoding.anneals:
        raise ValueError(f"guided decoding anneals bin probabilities: the {decoding.head!r} head has none")
    base = decoding.temperature
    temperatures = tuple(float(t) for t in temperatures)
    if base not in temperatures:
        raise ValueError(f"the base temperature {base} must be one of the candidates {temperatures}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    size = tuple(int(s) for s in l_chan.shape[1:3])
    l_chan = ops.cast(l_chan, "float32")
    candidates = ops.stack([decode_ab(logits, size, replace(decoding, temperature=t))
                             for t in temperatures], axis=1)  # (B, K, H, W, 2)
    scores = ops.stack([realness(discriminator(ops.concatenate([l_chan, candidates[:, k]], axis=-1), training=False))
                        for k in range(len(temperatures))], axis=1)  # (B, K)
    penalty = ops.convert_to_tensor([0.0 if t == base else margin for t in temperatures], dtype="float32")
    choice = ops.argmax(scores - penalty, axis=1)
    ab = ops.take_along_axis(candidates, ops.reshape(choice, (-1, 1, 1, 1, 1)), axis=1)[:, 0]
    chosen = ops.take(ops.convert_to_tensor(temperatures, dtype="float32"), choice)
    return ab, chosen, scores
