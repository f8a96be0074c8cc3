"""Artifact types of this project's own (standard ones come from tfx.types).

Each type's name is the path its class is imported by, `components.<Class>`: Kubeflow Pipelines v2 /
Vertex carry a custom type as a schema title that must read `namespace.Name`, and TFX's container
entrypoint imports the artifact class from that title. (colordisc_tf.data.color_prior.ColorPrior is the same
concept in memory; this one is the artifact on disk.)"""

from tfx.types.artifact import Artifact

__all__ = ["ColorPrior", "ColorizationReport", "RealnessScores"]


class ColorPrior(Artifact):
    """prior.npz (counts, prior, smoothed prior, weights), prior.json, prior.png."""

    TYPE_NAME = "components.ColorPrior"


class RealnessScores(Artifact):
    """scores.jsonl (per photo and split) and report/ (metrics, histogram, worst cases)."""

    TYPE_NAME = "components.RealnessScores"


class ColorizationReport(Artifact):
    """index.html (before/after table, histogram, prior, worst-case grids) + before_after.json."""

    TYPE_NAME = "components.ColorizationReport"
