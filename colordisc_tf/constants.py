"""The numbers every backend shares (TensorFlow ops, keras.ops, NumPy in Beam workers).

Zhang et al. 2016: L in [0, 100] is fed to the network centred and scaled,
(L - L_CENT) / L_NORM; ab in about [-110, 110] (AB_NORM scales the regression head and
the discriminator's input); the annealed mean decodes at temperature ANNEAL_T.
"""

L_CENT = 50.0
L_NORM = 100.0
AB_NORM = 110.0
ANNEAL_T = 0.38
DEFAULT_MAX_PIXELS = 40_000_000  # larger images are rejected (preprocess, colorize, serving)
DEFAULT_MAX_IMAGES = 32  # images per serving request
DEFAULT_MAX_REQUEST_PIXELS = DEFAULT_MAX_PIXELS  # pixels of all a serving request's images together

#: Training precisions (colordisc_tf.models.precision); "auto" is mixed_bfloat16 on bf16 hardware.
PRECISIONS = ("float32", "mixed_bfloat16", "auto")
