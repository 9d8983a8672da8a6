"""torch twin of tiny/models/mlp.py: Linear layers in `layers` (a Sequential) with the activation between."""
import torch

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}


class MLP(torch.nn.Module):
    def __init__(self, sizes, activation: str = "relu") -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)
