import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; run with --run-slow (make test-all)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """~150 32-px Lab records of the demo photos, with their colour prior."""
    from conftest_data import make_tiny_dataset

    return make_tiny_dataset(str(tmp_path_factory.mktemp("tiny_data")))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """An untrained tiny generator and discriminator saved as model directories (each with its
    serving SavedModel), and the colorizer with realness made of the two: what the serving and
    command-line tests load. Built once; tests must not write into these folders."""
    import keras

    from colordisc_tf.config import DiscriminatorConfig, GeneratorConfig
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.export import export_colorizer_with_realness
    from colordisc_tf.serve.saving import save_discriminator, save_generator

    root = tmp_path_factory.mktemp("tiny_models")
    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(0.0625), build_discriminator(8, depth=2)
    generator_config = GeneratorConfig(width=0.0625, serving_size=32)
    save_generator(generator, generator_config, str(root / "generator"))
    save_discriminator(discriminator, DiscriminatorConfig(width=8, depth=2, serving_size=32), str(root / "discriminator"))
    export_colorizer_with_realness(generator, discriminator, str(root / "colorizer_with_realness"),
                                   generator_config.decoding, model_size=32, discriminator_size=32)
    return {name: root / name for name in ("generator", "discriminator", "colorizer_with_realness")}
