"""Import Zhang et al.'s released ECCV16 PyTorch weights into our Keras generator.

The reference (`colorizers/eccv16.py`) names its layers by position in eight
nn.Sequential blocks; this maps each onto our named layers:

    modelN.<i>   Conv2d (out, in, kh, kw)          -> convN_<j>  kernel (kh, kw, in, out)
    modelN.<i>   BatchNorm2d weight/bias/running_* -> convN_norm gamma/beta/moving_*
    model8.0     ConvTranspose2d (in, out, kh, kw) -> conv8_1    kernel (kh, kw, out, in)
    model8.6     Conv2d 256 -> 313, 1x1            -> conv8_313
    model_out    Conv2d 313 -> 2 (the reference's plain-mean decode): not used

PyTorch is only needed to read the .pth file (`torch.load`); a state dict of
NumPy arrays works too.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf.models.generator import ECCV16_BLOCKS, build_generator

__all__ = ["keras_to_torch_names", "load_torch_state_dict", "import_eccv16"]


def keras_to_torch_names() -> dict[str, str]:
    """Our layer name -> the reference's module prefix."""
    names = {}
    for block_index, (block, _, convs, _, _, _) in enumerate(ECCV16_BLOCKS, start=1):
        for i in range(convs):
            names[f"{block}_{i + 1}"] = f"model{block_index}.{2 * i}"
        names[f"{block}_norm"] = f"model{block_index}.{2 * convs}"
    names.update({"conv8_1": "model8.0", "conv8_2": "model8.2", "conv8_3": "model8.4", "conv8_313": "model8.6"})
    return names


def load_torch_state_dict(path: str) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "reading a PyTorch .pth file needs torch: pip install -r requirements-extras.txt"
        ) from None
    import pickle
    import warnings

    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not the user's
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except pickle.UnpicklingError:
        # Never torch's own text: it suggests weights_only=False, which runs whatever the file holds.
        raise ValueError(f"{path}: not a PyTorch state dict of tensors (torch.load with weights_only=True refuses it: "
                         "other pickled objects, or not a PyTorch file at all); colordisc loads no other kind") from None
    except Exception as e:  # noqa: BLE001 (a truncated zip, text, random bytes: torch's errors vary by damage)
        detail = (str(e).strip().splitlines() or [""])[0].split(". ")[0][:120] or type(e).__name__
        raise ValueError(f"{path}: not a readable PyTorch file ({detail})") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    not_tensors = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ValueError(f"{path}: not a state dict of tensors ({not_tensors[0]!r} is a "
                         f"{type(state[not_tensors[0]]).__name__})")
    return {k: v.detach().cpu().numpy() for k, v in state.items()}


def import_eccv16(state_dict_or_path):
    """A Keras generator carrying the reference weights (width inferred from them)."""
    state = state_dict_or_path
    if isinstance(state, str):
        state = load_torch_state_dict(state)
    if "model1.0.weight" not in state:
        raise ValueError("not an ECCV16 state dict: no 'model1.0.weight' (keys: %s...)" % sorted(state)[:5])
    width = state["model1.0.weight"].shape[0] / 64.0
    model = build_generator(width)
    for keras_name, torch_name in keras_to_torch_names().items():
        layer = model.get_layer(keras_name)
        try:
            if keras_name.endswith("_norm"):
                layer.set_weights([state[f"{torch_name}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")])
            else:
                kernel = state[f"{torch_name}.weight"].transpose(2, 3, 1, 0)
                layer.set_weights([kernel, state[f"{torch_name}.bias"]])
        except KeyError as e:
            raise ValueError(f"ECCV16 state dict lacks {e.args[0]!r} (for layer {keras_name})") from None
        except ValueError as e:
            raise ValueError(f"{torch_name} does not fit {keras_name}: {e}") from None
    return model
