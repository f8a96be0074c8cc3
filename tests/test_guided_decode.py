"""Realness-guided decoding picks, per image, the temperature a discriminator finds most real."""

import keras
import numpy as np
import pytest
from keras import ops

from colordisc_tf.config import Decoding
from colordisc_tf.constants import ANNEAL_T
from colordisc_tf.serve.guided_decode import GUIDED_TEMPERATURES, guided_decode
from colordisc_tf.color.keras_ops import decode_ab


class ChromaDiscriminator(keras.layers.Layer):
    """A planted discriminator: patch logit = sign * (chroma - 20) / 10, so sign -1 finds vivid
    colours unreal (it prefers high temperatures) and +1 finds them real; 0 cannot tell."""

    def __init__(self, sign):
        super().__init__()
        self.sign = sign

    def call(self, lab):
        chroma = ops.sqrt(ops.sum(ops.square(lab[..., 1:]), axis=-1, keepdims=True) + 1e-6)
        return self.sign * (chroma - 20.0) / 10.0


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=(3, 6, 5, 313)) * 3).astype("float32")
    l_chan = rng.uniform(20, 80, (3, 24, 20, 1)).astype("float32")
    return logits, l_chan


def _oracle_scores(logits, l_chan, sign):
    scores = []
    for t in GUIDED_TEMPERATURES:
        ab = np.asarray(decode_ab(logits, (24, 20), Decoding(t)))
        chroma = np.sqrt((ab**2).sum(-1) + 1e-6)
        scores.append((1 / (1 + np.exp(-sign * (chroma - 20) / 10))).mean(axis=(1, 2)))
    return np.stack(scores, 1)


@pytest.mark.parametrize("sign, expected", [(-1.0, max(GUIDED_TEMPERATURES)), (1.0, min(GUIDED_TEMPERATURES)),
                                            (0.0, ANNEAL_T)])
def test_the_discriminators_preferred_temperature_wins_and_ties_keep_the_base(sign, expected):
    logits, l_chan = _inputs()
    ab, chosen, scores = guided_decode(logits, l_chan, ChromaDiscriminator(sign), Decoding())
    np.testing.assert_allclose(np.asarray(scores), _oracle_scores(logits, l_chan, sign), atol=1e-5)
    np.testing.assert_allclose(np.asarray(chosen), expected)
    # The image is the decoding at the chosen temperature, not a blend.
    np.testing.assert_allclose(np.asarray(ab), np.asarray(decode_ab(logits, (24, 20), Decoding(expected))), atol=1e-4)


def test_a_gain_below_the_margin_keeps_the_base_temperature():
    logits, l_chan = _inputs(1)
    scores = _oracle_scores(logits, l_chan, -1.0)
    gain = (scores.max(1) - scores[:, GUIDED_TEMPERATURES.index(ANNEAL_T)]).min()
    assert gain > 0
    _, chosen, _ = guided_decode(logits, l_chan, ChromaDiscriminator(-1.0), Decoding(), margin=float(scores.max() - scores.min()) + 0.01)
    np.testing.assert_allclose(np.asarray(chosen), ANNEAL_T)
    _, chosen, _ = guided_decode(logits, l_chan, ChromaDiscriminator(-1.0), Decoding(), margin=float(gain) * 0.5)
    assert (np.asarray(chosen) != ANNEAL_T).all()


def test_guided_decode_checks_its_arguments():
    logits, l_chan = _inputs()
    with pytest.raises(ValueError, match="base temperature"):
        guided_decode(logits, l_chan, ChromaDiscriminator(0.0), Decoding(), temperatures=(0.2, 0.5))
    with pytest.raises(ValueError, match="margin"):
        guided_decode(logits, l_chan, ChromaDiscriminator(0.0), Decoding(), margin=-0.1)
