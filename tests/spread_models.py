"""Tiny models whose outputs vary with their input, as a trained model's do: an untrained tiny
generator's logits are ~1e-7 apart, so its ab hardly depends on the photo (or on the size it
runs at), and a test of decoding or of the serving path would prove nothing on it."""

import numpy as np


def spread_like_trained(generator, discriminator=None, size: int = 32) -> None:
    """BatchNorm statistics from data and logits scaled to std 4; discriminator weights x4 so
    realness varies."""
    sample = np.random.default_rng(0).uniform(0, 100, (4, size, size, 1)).astype(np.float32)
    for _ in range(10):  # momentum 0.9: the moving statistics two-thirds of the way to the batch's
        generator(sample, training=True)
    head = generator.get_layer("conv8_313")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 4.0 / np.asarray(generator(sample)).std(), bias])
    if discriminator is not None:
        discriminator.set_weights([w * 4 if w.ndim == 4 else w for w in discriminator.get_weights()])
