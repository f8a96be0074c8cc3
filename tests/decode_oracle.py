"""The served decoding written out in NumPy, as the oracle the decoding tests compare against: the
bins read from the CSV that ships with the package, not from the code under test."""

from __future__ import annotations

import os

import numpy as np

AB_BINS = np.loadtxt(os.path.join(os.path.dirname(__file__), "..", "colordisc_tf", "data", "ab_bins_313.csv"),
                     delimiter=",", skiprows=1)


def decoded_ab(logits, temperature, gain=1.0, confidence_power=0.0):
    """(B, h, w, 313) logits -> (B, h, w, 2): the annealed mean times the gain times (confidence / its
    mean over each image) ** confidence_power, confidence = 1 - H(p) / log 313."""
    logits = np.asarray(logits, np.float64)
    log_p = logits - logits.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    z = log_p / temperature
    annealed = np.exp(z - z.max(-1, keepdims=True))
    ab = (annealed / annealed.sum(-1, keepdims=True)) @ AB_BINS
    if not confidence_power:
        return gain * ab
    confidence = np.maximum(1 + (np.exp(log_p) * log_p).sum(-1, keepdims=True) / np.log(313), 0.0)  # round-off
    return gain * ab * (confidence / confidence.mean(axis=(1, 2), keepdims=True)) ** confidence_power
