"""Artifact types of this project's own (standard ones come from tfx.types)."""

from tfx.types.artifact import Artifact

__all__ = ["ColorPriorArtifact", "ColorizationReport", "RealnessScores"]


class ColorPriorArtifact(Artifact):
    """prior.npz (counts, prior, smoothed prior, weights), prior.json, prior.png."""

    TYPE_NAME = "ColorPrior"


class RealnessScores(Artifact):
    """scores.jsonl (per photo and split) and report/ (metrics, histogram, worst cases)."""

    TYPE_NAME = "RealnessScores"


class ColorizationReport(Artifact):
    """index.html (before/after table, histogram, prior, worst-case grids) + before_after.json."""

    TYPE_NAME = "ColorizationReport"
