"""The oracles for the evaluation protocol and the FID Inception import, run in their own process:
torchvision's own transforms and pytorch-fid's own network.

    python fid_inception_torch.py PHOTOS.npz SIZE OUT_DIR [--no-resize] [--state FID.pth]

PHOTOS.npz: (H, W, 3) uint8 photos of any size. Each is cut as CT2's val5k evaluation cuts it
(torchvision's CenterCrop to the short side, then Resize(SIZE) on the PIL image) into
OUT_DIR/photos.npy, (N, SIZE, SIZE, 3) uint8: the oracle of colordisc_tf.evaluate.protocol.prepare.

pytorch-fid's FID Inception (`pytorch_fid.inception.fid_inception_v3`: torchvision's Inception3
with FIDInceptionA/C/E_1/E_2) is then given random weights -- convolutions as PyTorch
initialises them, BatchNorm statistics measured on the photos in train mode and then perturbed,
random BatchNorm scales and shifts -- and its state dict saved as OUT_DIR/fid.pth, in the layout of
pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`. pytorch-fid's `InceptionV3([3])` (resize to
299, scale to [-1, 1]) loads that file and writes the 2048-d features of the photos to
OUT_DIR/features.npy. --no-resize: built with resize_input=False instead (photos of 75 px and
more, at their size: a quick check of the weights alone). --state FID.pth: that file's weights instead of
new random ones (features of other photos with the same network).

Needs torch, and torchvision + pytorch-fid on PYTHONPATH (tests/fid_oracle.py says how). The
weights download that pytorch-fid does in `fid_inception_v3` is replaced by the random state
dict; the network is pytorch-fid's.
"""

import sys
import types


def import_pytorch_fid():
    """pytorch_fid.inception, with torchvision's Python code as it ships.

    torchvision's C++ ops (_C.so) are built against the CUDA build of torch and do not load
    beside the CPU build the project uses; torchvision then skips them (extension._has_ops()
    is False) except in _meta_registrations, which registers fake kernels for them
    (`@torch.library.register_fake("torchvision::nms")`), and torch 2.13 refuses that for an
    operator that does not exist. The Inception network uses none of those ops, so only that
    module is replaced by an empty one; every other module, the network included, is
    torchvision's own."""
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import pytorch_fid.inception
    import torchvision

    return pytorch_fid.inception, torchvision


def random_fid_state(fid, torchvision, torch, photos, resize=True, seed=0):
    """A state dict of pytorch-fid's FID Inception with random, non-degenerate weights."""
    torch.manual_seed(seed)
    start = torchvision.models.inception_v3(weights=None, num_classes=1008, aux_logits=False,
                                            init_weights=False).state_dict()
    fid.load_state_dict_from_url = lambda *args, **kwargs: start
    net = fid.fid_inception_v3()
    batchnorms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in batchnorms:  # cumulative statistics of these inputs, so activations stay in range
        bn.reset_running_stats()
        bn.momentum = None
    x = torch.nn.functional.interpolate(photos, size=(299, 299), mode="bilinear", align_corners=False) if resize else photos
    x = x * 2 - 1
    net.train()
    with torch.no_grad():
        net(torch.cat([x, torch.rand_like(x[:2]) * 2 - 1]))
        for bn in batchnorms:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.running_mean.add_(0.1 * torch.randn_like(bn.running_mean) * bn.running_var.sqrt())
            bn.running_var.mul_(torch.empty_like(bn.running_var).uniform_(0.8, 1.25))
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def ct2_cut(torchvision, rgb, size):
    """CT2's val5k transform, as DDColor's maintainer names it (piddnad/DDColor#9)."""
    from PIL import Image

    import numpy as np

    image = Image.fromarray(rgb)
    transform = torchvision.transforms.Compose([torchvision.transforms.CenterCrop(min(image.size)),
                                                torchvision.transforms.Resize(size)])
    return np.asarray(transform(image))


def main(photos_path, size, out_dir, *options):
    import os

    import numpy as np
    import torch

    fid, torchvision = import_pytorch_fid()
    with np.load(photos_path) as raw:
        images = np.stack([ct2_cut(torchvision, raw[key], int(size)) for key in sorted(raw.files)])
    np.save(os.path.join(out_dir, "photos.npy"), images)
    photos = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    resize = "--no-resize" not in options
    if "--state" in options:
        state_path = options[options.index("--state") + 1]
    else:
        state_path = os.path.join(out_dir, "fid.pth")
        torch.save(random_fid_state(fid, torchvision, torch, photos, resize), state_path)
    # pytorch-fid's network, loading the file as it would load its downloaded weights
    fid.load_state_dict_from_url = lambda *args, **kwargs: torch.load(state_path, weights_only=True)
    model = fid.InceptionV3([fid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=resize).eval()
    with torch.no_grad():
        features = model(photos)[0].squeeze(-1).squeeze(-1).numpy()
    np.save(os.path.join(out_dir, "features.npy"), features)
    print(f"torchvision {torchvision.__version__}, C++ ops loaded: {torchvision.extension._has_ops()}; "
          f"features {features.shape}")


if __name__ == "__main__":
    main(*sys.argv[1:])
