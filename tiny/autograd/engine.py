"""The backward engine: reverse topological order over recorded Nodes, without recursion."""
from __future__ import annotations

import numpy as np

from tiny.autograd.function import Node, output_index
from tiny.autograd.function import call_backward as observed_backward
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
    """Nodes reachable from root, each after every node that consumes its outputs (iterative DFS).

    root: the Node that produced the tensor backward starts from. A node's inputs are `node.inputs`
    (per forward argument: the Tensor when it needs a gradient, else None); an input tensor's own
    producer is `tensor.grad_fn` (None for a leaf). Return the nodes, root first, so that every node
    comes before the nodes producing its inputs. No recursion: graphs can be 10^4 nodes deep.
    Task `topological_order`."""
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


def call_backward(node: Node, grad_outputs: list[np.ndarray]) -> tuple:
    """node.function.backward(ctx, *grad_outputs) as a tuple with one entry per forward input; errors
    for a freed node or a wrong number of gradients."""
    if node.freed:
        raise RuntimeError(
            f"{node.name()}.backward: trying to backward through the graph a second time; its saved "
            "values were freed by the first backward. Pass retain_graph=True to the first backward.")
    check_saved(node.ctx, node.name())  # nothing it saved was written in place since
    grads = observed_backward(node.function, node.ctx, grad_outputs)  # timed by tiny.profiler, if active
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.name()}.backward returned {len(grads)} gradients, but forward took "
            f"{len(node.inputs)} inputs (return None for inputs without a gradient)")
    return grads


def run_backward(root, gradient: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · gradient into every leaf's `.grad`.

    root: the Tensor `.backward()` was called on (root.grad_fn is its Node); gradient: an array of
    root's shape. Walk `topological_order(root.grad_fn)`, keeping per node one gradient buffer per
    output (`node.num_outputs`; which slot a tensor feeds: `output_index(tensor)`; an output nothing
    used gets `node.zero_grad_output(i)`). For each node: `call_backward(node, grad_outputs)` gives one
    gradient per input (None = no gradient); reduce each with `unbroadcast(grad, input shape)` and
    cast it to the input's dtype; a leaf (grad_fn None) accumulates into `.grad` (a new
    `Tensor(array)` the first time, then the sum: torch accumulates), a non-leaf into its producer's
    buffer. Unless retain_graph, `node.release()` after its backward. Public API only: Node.inputs,
    Node.num_outputs, Node.zero_grad_output, Node.release, output_index, Tensor.grad/.grad_fn/.data.
    Task `run_backward`."""
    from tiny.tensor import Tensor

    # BEGIN SOLUTION
    pending: dict[int, list] = {id(root.grad_fn): [None] * root.grad_fn.num_outputs}
    pending[id(root.grad_fn)][output_index(root)] = gradient
    for node in topological_order(root.grad_fn):
        buffers = pending.pop(id(node), None)
        if buffers is None:
            continue
        grad_outputs = [node.zero_grad_output(i) if g is None else g for i, g in enumerate(buffers)]
        input_grads = call_backward(node, grad_outputs)
        if not retain_graph:
            node.release()
        for tensor, grad in zip(node.inputs, input_grads):
            if tensor is None or grad is None:
                continue
            grad = unbroadcast(np.asarray(grad), tensor.data.shape, f"{node.name()}.backward")
            grad = grad.astype(tensor.data.dtype, copy=False)
            if tensor.grad_fn is None:
                if tensor.grad is None:
                    tensor.grad = Tensor(np.array(grad, copy=True))
                else:
                    tensor.grad = Tensor(np.asarray(tensor.grad.data + grad))  # 0-d stays an array
            else:
                slots = pending.setdefault(id(tensor.grad_fn), [None] * tensor.grad_fn.num_outputs)
                index = output_index(tensor)
                slots[index] = grad if slots[index] is None else slots[index] + grad
    # END SOLUTION
