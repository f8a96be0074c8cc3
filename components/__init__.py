"""TFX components: thin adapters that read artifacts, call colordisc_tf, write artifacts."""

# First, so tensorflow-io's plugin warnings are silenced before TFX's imports load it.
import colordisc_tf.color  # noqa: F401, I001

from components.artifact_types import ColorPriorArtifact
from components.color_prior import ColorPrior
from components.colorize import Colorize
from components.generator_trainer import GeneratorTrainer
from components.lab_example_gen import LabExampleGen

__all__ = ["ColorPriorArtifact", "ColorPrior", "Colorize", "GeneratorTrainer", "LabExampleGen"]
