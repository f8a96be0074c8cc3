"""Kill a run at a chosen moment: the kill-and-resume tests' shared half."""

import signal
import subprocess
import time


def kill_when(command: list[str], ready, timeout: float, what: str = "the run") -> None:
    """Starts command and SIGKILLs it as soon as ready() is true; fails if the run ends first
    or is not ready within timeout seconds."""
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and run.poll() is None and not ready():
            time.sleep(0.2)
        assert run.poll() is None, f"{what} ended before it could be killed"
        assert ready(), f"{what} was not ready to be killed within {timeout:.0f} s"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()


def stop_after_steps(steps: int):
    """A Keras callback that raises KeyboardInterrupt after `steps` batches: a killed job, in-process."""
    import keras

    class StopAfterSteps(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = 0

        def on_train_batch_end(self, batch, logs=None):
            self.seen += 1
            if self.seen >= steps:
                raise KeyboardInterrupt(f"simulated kill after {self.seen} steps")

    return StopAfterSteps()
