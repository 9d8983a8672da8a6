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

    def rosenblatt_step(self, x, y, lr: float = 1.0) -> int:
        """tiny's Perceptron.rosenblatt_step with torch tensors: one pass of Rosenblatt's rule, sample by sample."""
        weight, bias = self.linear.weight, self.linear.bias
        rows = torch.as_tensor(x, dtype=weight.dtype)
        mistakes = 0
        with torch.no_grad():
            for row, label in zip(rows, [int(v) for v in y]):
                predicted = int(bool(row @ weight[0] + bias[0] >= 0))
                if predicted != label:
                    weight[0] += lr * (label - predicted) * row
                    bias[0] += lr * (label - predicted)
                    mistakes += 1
        return mistakes
