"""The numbers every backend shares (TensorFlow ops, keras.ops, NumPy in Beam workers).

Zhang et al. 2016: L in [0, 100] is fed to the network centred and scaled,
(L - L_CENT) / L_NORM; ab in about [-110, 110] (AB_NORM scales the regression head and
the discriminator's input); the annealed mean decodes at temperature ANNEAL_T.
"""

L_CENT = 50.0
L_NORM = 100.0
AB_NORM = 110.0
ANNEAL_T = 0.38
AUC_MAX_THRESHOLD = 150  # ab units: raw AuC's largest threshold (Zhang et al.: 0..150)
DEFAULT_MAX_PIXELS = 40_000_000  # larger images are rejected (preprocess, colorize, serving)
DEFAULT_MAX_IMAGES = 32  # images per serving request
DEFAULT_MAX_REQUEST_PIXELS = DEFAULT_MAX_PIXELS  # pixels of all a serving request's images together

#: Training precisions (colordisc_tf.models.precision); "auto" is mixed_bfloat16 on bf16 hardware.
PRECISIONS = ("float32", "mixed_bfloat16", "auto")

#: Video, temporal "stable" (colordisc_tf.video.temporal): the carried history's weight against
#: the current frame (an average over about 1 / (1 - w) = 7 frames along the flow). Chosen on
#: pans over scikit-image photos with the demo generator: 0.6 / 0.75 / 0.85 / 0.9 gave CDC
#: 0.62-0.75 / 0.48-0.71 / 0.38-0.70 / 0.32-0.70 of frame-by-frame's, colourfulness >= 0.96 /
#: 0.94 / 0.91 / 0.89 of it.
VIDEO_HISTORY_WEIGHT = 0.85
