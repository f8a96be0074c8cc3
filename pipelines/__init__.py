"""Pipeline wiring only: the factory, the local runner file, the config presets."""

from colordisc_tf.quiet import quiet_tensorflow_io

quiet_tensorflow_io()  # before any pipeline module imports TFX, which imports tensorflow-io
