"""Pipeline wiring only: the factory, the local runner file, the config presets."""

from colordisc_tf.quiet import import_tfma_quietly, quiet_tensorflow_io

quiet_tensorflow_io()  # before any pipeline module imports TFX, which imports tensorflow-io
import_tfma_quietly()  # before tfx.components (Pusher) imports it and prints a stray stderr line
