"""colordisc_tf: the library. It knows nothing of TFX (see components/ and pipelines/)."""

__version__ = "0.1.0"

__all__ = ["color", "metrics", "__version__"]
