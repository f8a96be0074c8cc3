"""Import pytorch-fid's FID Inception weights (`pt_inception-2015-12-05-6726825d.pth`) into
the Keras twin (colordisc_tf.models.fid_inception).

The file is a state dict of torchvision's Inception3 with pytorch-fid's FID blocks (1008
classes, no aux classifier); each BasicConv2d maps by name:

    <module>.conv.weight (out, in, kh, kw)                -> <module>__conv kernel (kh, kw, in, out)
    <module>.bn.weight / bias / running_mean / running_var -> <module>__bn gamma / beta / moving_*
    fc.* (the 1008-way classifier), *.num_batches_tracked: not used

The project downloads nothing: the file is the user's (pytorch-fid fetches it from its
GitHub release on first use; point --fid-weights at that copy). PyTorch is needed only to
read it (`torch.load`); a state dict of NumPy arrays works too.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf.models.eccv16_import import load_torch_state_dict
from colordisc_tf.models.fid_inception import build_fid_inception

__all__ = ["FID_WEIGHTS_FILE", "FID_CLASSES", "import_fid_inception"]

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
FID_CLASSES = 1008  # the 2015 TensorFlow graph's classifier; torchvision's ImageNet weights have 1000
_UNUSED = ("fc.weight", "fc.bias")


def import_fid_inception(state_dict_or_path, resize_input: bool = True):
    """The Keras FID Inception carrying the weights of a pytorch-fid state dict (or .pth path)
    (resize_input: as build_fid_inception's). Raises ValueError naming what is wrong when it is
    not that network's state dict."""
    state = state_dict_or_path
    source = state if isinstance(state, str) else "the state dict"
    if isinstance(state, str):
        state = load_torch_state_dict(state)
    if "Mixed_7c.branch_pool.conv.weight" not in state:
        raise ValueError(f"{source}: not an Inception-v3 state dict (no 'Mixed_7c.branch_pool.conv.weight'; "
                         f"keys: {', '.join(sorted(state)[:4])}...)")
    if "fc.weight" in state and np.shape(state["fc.weight"])[0] != FID_CLASSES:
        raise ValueError(f"{source}: an Inception-v3 with {np.shape(state['fc.weight'])[0]} classes, not pytorch-fid's "
                         f"FID Inception ({FID_CLASSES} classes, {FID_WEIGHTS_FILE}): its features give other FIDs")
    model = build_fid_inception(resize_input)
    used = set(_UNUSED)
    for layer in model.layers:
        if not layer.weights or "__" not in layer.name:
            continue
        module, kind = layer.name.rsplit("__", 1)
        prefix = module.replace("__", ".") + "." + kind
        keys = [f"{prefix}.weight"] if kind == "conv" else \
            [f"{prefix}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
        try:
            values = [np.asarray(state[k], np.float32) for k in keys]
        except KeyError as e:
            raise ValueError(f"{source} lacks {e.args[0]!r} (for layer {layer.name})") from None
        if kind == "conv":
            values = [values[0].transpose(2, 3, 1, 0)]
        try:
            layer.set_weights(values)
        except ValueError as e:
            raise ValueError(f"{source}: {keys[0]} does not fit {layer.name}: {e}") from None
        used.update(keys)
    left = sorted(k for k in state if k not in used and not k.endswith("num_batches_tracked"))
    if left:
        raise ValueError(f"{source}: {len(left)} weights the FID Inception does not have ({', '.join(left[:3])}...): "
                         f"not pytorch-fid's {FID_WEIGHTS_FILE}")
    return model
