"""The backward engine: reverse topological order over recorded Nodes, without recursion."""
from __future__ import annotations

import numpy as np

from tiny.autograd.function import Node, call_backward
from tiny.autograd.version import check_saved


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op: str = "backward") -> np.ndarray:
    """Sum `grad` over the dims broadcasting added or stretched, so it has `shape`."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(f"{op}: gradient of shape {grad.shape} cannot be reduced to input shape {tuple(shape)}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != tuple(shape):
        raise RuntimeError(f"{op}: gradient of shape {grad.shape} does not match input shape {tuple(shape)}")
    return grad


def topological_order(root: Node) -> list[Node]:
    """Nodes reachable from root, each after every node that consumes its outputs (iterative DFS)."""
    # BEGIN SOLUTION
    order: list[Node] = []
    visited = {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, children = stack[-1]
        for child in children:
            parent = child.grad_fn if child is not None else None
            if parent is not None and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order
    # END SOLUTION


def _call_backward(node: Node, grad_outputs: list[np.ndarray]) -> tuple:
    if node.freed:
        raise RuntimeError(
            f"{node.name()}.backward: trying to backward through the graph a second time; its saved "
            "values were freed by the first backward. Pass retain_graph=True to the first backward.")
    check_saved(node.ctx, node.name())  # nothing it saved was written in place since
    grads = call_backward(node.function, node.ctx, grad_outputs)  # observed by tiny.profiler, if active
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.name()}.backward returned {len(grads)} gradients, but forward took "
            f"{len(node.inputs)} inputs (return None for inputs without a gradient)")
    return grads


def run_backward(root, gradient: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · gradient into every leaf's `.grad`."""
    from tiny.tensor import Tensor

    # BEGIN SOLUTION
    pending: dict[int, list] = {id(root.grad_fn): [None] * len(root.grad_fn.output_meta)}
    pending[id(root.grad_fn)][root._output_index] = gradient
    for node in topological_order(root.grad_fn):
        buffers = pending.pop(id(node), None)
        if buffers is None:
            continue
        grad_outputs = [np.zeros(shape, dtype) if g is None else g
                        for g, (shape, dtype) in zip(buffers, node.output_meta)]
        input_grads = _call_backward(node, grad_outputs)
        if not retain_graph:
            node.ctx._saved = None
            node.freed = True
        for tensor, grad in zip(node.inputs, input_grads):
            if tensor is None or grad is None:
                continue
            grad = unbroadcast(np.asarray(grad), tensor.data.shape, f"{node.name()}.backward")
            grad = grad.astype(tensor.data.dtype, copy=False)
            if tensor.grad_fn is None:
                if tensor.grad is None:
                    tensor.grad = Tensor._wrap(np.array(grad, copy=True))
                else:
                    tensor.grad = Tensor._wrap(np.asarray(tensor.grad.data + grad))  # 0-d stays an array
            else:
                slots = pending.setdefault(id(tensor.grad_fn), [None] * len(tensor.grad_fn.output_meta))
                index = tensor._output_index
                slots[index] = grad if slots[index] is None else slots[index] + grad
    # END SOLUTION
