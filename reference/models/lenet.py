"""torch twin of tiny/models/lenet.py: LeNet-5 adapted to 28x28 (c1 padding 2), same module names."""
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
POOLINGS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, activation: str = "relu", pooling: str = "max") -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.s2 = POOLINGS[pooling](2, 2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = POOLINGS[pooling](2, 2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act = ACTIVATIONS[activation]()

    def forward(self, x):
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.act(self.c5(x)).flatten(1)
        return self.output(self.act(self.f6(x)))
