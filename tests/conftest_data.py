"""Tiny Lab record sets made from the bundled photos, shared by the model tests."""

from __future__ import annotations

import os

from colordisc_tf.data.preprocess import run_preprocess
from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.demo_photos import write_demo_photos
from colordisc_tf.data.prior import run_prior
from colordisc_tf.data.record_format import split_file_pattern

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def make_tiny_dataset(root, size: int = 32, max_side: int = 160, eval_percent: int = 25) -> dict:
    """~150 size x size crops of the demo photos -> records, prior. Returns paths."""
    photos = os.path.join(root, "photos")
    write_demo_photos(photos, tile=size, max_side=max_side)
    examples = os.path.join(root, "examples")
    summary = run_preprocess([photos], examples, PreprocessConfig(size=size, eval_percent=eval_percent), IN_MEMORY)
    prior = run_prior(split_file_pattern(examples, "train"), os.path.join(root, "prior"), beam_args=IN_MEMORY)
    return {
        "examples": examples,
        "train": split_file_pattern(examples, "train"),
        "eval": split_file_pattern(examples, "eval"),
        "prior": prior,
        "summary": summary,
    }
