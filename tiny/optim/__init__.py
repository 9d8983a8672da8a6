"""tiny.optim: optimizers (SGD, Adam, AdamW, RMSprop) and lr_scheduler, with torch.optim's API."""
from tiny.optim import lr_scheduler
from tiny.optim.adam import Adam
from tiny.optim.adamw import AdamW
from tiny.optim.optimizer import Optimizer
from tiny.optim.rmsprop import RMSprop
from tiny.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
