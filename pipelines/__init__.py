"""Above the library: the pipeline factory, the local and Kubeflow runner files, the config
presets, and the `colordisc` command line (pipelines.cli)."""

from colordisc_tf.infra.quiet import quiet_tensorflow_io

quiet_tensorflow_io()  # before any pipeline module imports TFX, which imports tensorflow-io
