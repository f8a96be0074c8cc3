"""Training: the one fit loop and the three trainers, each with one entry, `run`.

    losses         rebalanced cross entropy, the l2 baseline, the patch BCE
    fit            fit_for_steps: resumable fit for a number of steps
    callbacks      eval colour metrics and image grids for TensorBoard; TimeBudget
    inputs         the record streams, tf.data or NumPy (data.reader_choice picks)
    no_tensorflow  Keras kept from importing TensorFlow where the reader is NumPy
    generator      the colorizer's trainer          run(config, inputs, output)
    discriminator  the realness discriminator's     run(config, inputs, output)
    finetune       adversarial fine-tuning          run(config, inputs, output)
    data_parallel  the same trainers across JAX processes (and hosts)
"""
