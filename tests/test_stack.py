"""The pinned stack imports what the project relies on (TFX installed without its pins)."""

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "tensorflow",
        "keras",
        "apache_beam",
        "tensorflow_io",
        "tensorflow_serving.apis.predict_pb2",
        "tfx_bsl.coders.example_coder",
        "ml_metadata",
        "tfx.orchestration.local.local_dag_runner",
        "tfx.dsl.component.experimental.decorators",
        "tfx.dsl.components.base.base_beam_executor",
        "tfx.components",
        "tfx.tools.cli.cli_main",
    ],
)
def test_imports(module):
    importlib.import_module(module)


def test_versions():
    import keras
    import tensorflow as tf
    import tfx

    assert tf.__version__.startswith("2.21.")
    assert keras.__version__.startswith("3.")
    assert tfx.__version__ == "1.21.0"


def test_tensorflow_addons_is_not_installed():
    # End of life and incompatible with Keras 3; Keras 3 built-ins replace it.
    with pytest.raises(ImportError):
        importlib.import_module("tensorflow_addons")


def test_mlmd_sqlite_store_round_trip(tmp_path):
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(tmp_path / "mlmd.sqlite")
    config.sqlite.connection_mode = 3  # READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)
    artifact_type = metadata_store_pb2.ArtifactType(name="Probe")
    type_id = store.put_artifact_type(artifact_type)
    [artifact_id] = store.put_artifacts([metadata_store_pb2.Artifact(type_id=type_id, uri="/x")])
    assert store.get_artifacts_by_id([artifact_id])[0].uri == "/x"
