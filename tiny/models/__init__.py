"""tiny.models: complete models built from tiny.nn (the GPT and its config; the vision models)."""
from tiny.models.gpt import GPT, Block, GPTConfig
from tiny.models.lenet import LeNet5
from tiny.models.mlp import MLP
from tiny.models.perceptron import Perceptron

__all__ = ["GPT", "GPTConfig", "Block", "LeNet5", "MLP", "Perceptron"]
