"""Using trained models: model directories, decoding, SavedModels, ONNX / LiteRT, bulk and file colorizing.

    saving          model directories: the Keras file, its config, the serving SavedModel
    inference       L -> ab -> RGB with a generator (the decoding it was saved with)
    guided_decode   the discriminator picks each image's temperature
    serving_input   what a serving signature checks before any model runs
    export          TF Serving SavedModels (generator, discriminator, both)
    bulk_colorize   every record of a split colorized into a record (for the discriminator)
    colorize_files  image files -> PNGs in a folder (colordisc colorize, realness)
    overlay         the realness heat map drawn over an image
    portable_export ONNX / LiteRT files of a generator or discriminator, checked in their runtime (colordisc export)
    portable_formats  the export formats' registry: extension, converter, runner, int8 quantizer per format
    portable_onnx     tf2onnx plus the rewrites (dilated convs, the decode as one Conv); ORT's int8
    portable_litert   TensorFlow's LiteRT converter (built-in ops); dynamic-range int8
    portable_quality  int8's colour / realness cost against float32 on photos, and its bounds
    portable_runtime  runs those files in ONNX Runtime / LiteRT (no TensorFlow)
"""
