"""The reference ECCV16 layer table in PyTorch (Zhang et al.'s colorizers/eccv16.py,
structure only, with a width multiplier): the oracle for the weight import."""

from torch import nn


def eccv16_torch(width: float = 1.0) -> nn.Module:
    def c(n):
        return max(4, int(round(n * width)))

    def convs(cin, cout, n, last_stride=1, dilation=1, bn=True):
        layers = []
        for i in range(n):
            stride = last_stride if i == n - 1 else 1
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, stride, dilation, dilation, bias=True), nn.ReLU(True)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        return nn.Sequential(*layers)

    class ECCV16(nn.Module):
        def __init__(self):
            super().__init__()
            self.model1 = convs(1, c(64), 2, 2)
            self.model2 = convs(c(64), c(128), 2, 2)
            self.model3 = convs(c(128), c(256), 3, 2)
            self.model4 = convs(c(256), c(512), 3)
            self.model5 = convs(c(512), c(512), 3, 1, 2)
            self.model6 = convs(c(512), c(512), 3, 1, 2)
            self.model7 = convs(c(512), c(512), 3)
            self.model8 = nn.Sequential(
                nn.ConvTranspose2d(c(512), c(256), 4, 2, 1, bias=True), nn.ReLU(True),
                nn.Conv2d(c(256), c(256), 3, 1, 1, bias=True), nn.ReLU(True),
                nn.Conv2d(c(256), c(256), 3, 1, 1, bias=True), nn.ReLU(True),
                nn.Conv2d(c(256), 313, 1, 1, 0, bias=True),
            )
            self.model_out = nn.Conv2d(313, 2, 1, bias=False)

        def forward(self, l_norm):  # (B, 1, H, W), (L - 50) / 100 -> logits (B, 313, H/4, W/4)
            x = l_norm
            for block in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
                x = block(x)
            return x

    return ECCV16()
