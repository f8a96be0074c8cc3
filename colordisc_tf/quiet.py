"""Silencing one known, harmless start-up warning wherever it comes from."""

import warnings

__all__ = ["quiet_tensorflow_io"]


def quiet_tensorflow_io() -> None:
    """tensorflow-io 0.37's .so plugins were built for an older TF and fail to load on TF 2.21
    with two loud warnings; the colour ops this project uses are pure TF and work. Whoever
    imports tensorflow_io first (TFX's LocalDagRunner does, so do colordisc_tf.color) stays
    quiet once this ran: the packages that import either call it in their __init__."""
    warnings.filterwarnings("ignore", message="unable to load libtensorflow_io_plugins.so")
    warnings.filterwarnings("ignore", message="file system plugins are not loaded")
