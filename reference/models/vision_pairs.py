"""The torch side of the vision model pairs (difftests/pairs/vision_models.py): build the twin, load params."""
import torch

from reference.models.lenet import LeNet5
from reference.models.mlp import MLP
from reference.models.perceptron import Perceptron

MODELS = {"LeNet5": LeNet5, "MLP": MLP, "Perceptron": Perceptron}


def model_module(x, *params, model, config):
    net = MODELS[model](**config).to(x.dtype)
    net.load_state_dict(dict(zip(net.state_dict().keys(), params)))
    return {"out": net(x), "params": dict(net.named_parameters())}
