"""Silencing known, harmless start-up noise wherever it comes from."""

import contextlib
import io
import sys
import warnings

__all__ = ["quiet_tensorflow_io", "import_tfma_quietly"]

# TFMA 0.52 imports its text metrics (sacrebleu) inside one try block and, when that fails, writes
# this line to stderr without a newline; nothing this project runs uses those metrics.
_TFMA_SACREBLEU_NOTICE = "Error importing: No module named 'sacrebleu'"


def quiet_tensorflow_io() -> None:
    """tensorflow-io 0.37's .so plugins were built for an older TF and fail to load on TF 2.21
    with two loud warnings; the colour ops this project uses are pure TF and work. Whoever
    imports tensorflow_io first (TFX's LocalDagRunner does, so do colordisc_tf.color) stays
    quiet once this ran: the packages that import either call it in their __init__."""
    warnings.filterwarnings("ignore", message="unable to load libtensorflow_io_plugins.so")
    warnings.filterwarnings("ignore", message="file system plugins are not loaded")


def import_tfma_quietly() -> None:
    """Imports tensorflow_model_analysis (TFX's Pusher does, on its first import) with only its
    sacrebleu notice dropped: anything else it writes to stderr still reaches the user."""
    if "tensorflow_model_analysis" in sys.modules:
        return
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        import tensorflow_model_analysis  # noqa: F401
    rest = captured.getvalue().replace(_TFMA_SACREBLEU_NOTICE, "")
    if rest:
        sys.stderr.write(rest)
