"""torch twin of tiny/models/perceptron.py: the same `linear` submodule, so the state dicts are identical."""
import torch


class Perceptron(torch.nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.linear = torch.nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)

    def predict(self, x):
        with torch.no_grad():
            return (self.forward(x) >= 0).long()
