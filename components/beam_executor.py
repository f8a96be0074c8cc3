"""The Beam executor base the project's Beam components share."""

from tfx.dsl.components.base import base_beam_executor, base_executor

__all__ = ["LocalFriendlyBeamExecutor"]


class LocalFriendlyBeamExecutor(base_beam_executor.BaseBeamExecutor):
    """BaseBeamExecutor that passes the pipeline's beam_pipeline_args through as given.

    TFX's own __init__ appends an `--extra_package` it builds from the installed TFX
    sources whenever no dependency flag is set: slow, and useless on the local runner,
    whose workers share this environment. For Flink/Spark/Dataflow, pass
    `--setup_file=<repo>/setup.py` (see docs/scaling.md), which ships colordisc_tf instead.
    """

    def __init__(self, context=None):
        if context is not None and not isinstance(context, base_beam_executor.BaseBeamExecutor.Context):
            raise ValueError("a Beam executor needs a BeamExecutorSpec context")
        base_executor.BaseExecutor.__init__(self, context)
        self._beam_pipeline_args = list(context.beam_pipeline_args or []) if context else []
        self._make_beam_pipeline_fn = None
