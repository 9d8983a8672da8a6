"""torch twins of tiny/nn/normalization.py."""
import torch
import torch.nn.functional as F


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training=training,
                        momentum=momentum, eps=eps)


def batch_norm_running_stats(input, running_mean, running_var, weight=None, bias=None, training=True,
                             momentum=0.1, eps=1e-5):
    """The output and the running statistics F.batch_norm updated in place."""
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training=training,
                       momentum=momentum, eps=eps)
    return out, running_mean, running_var


def _batch_norm_module(dtype, weight, bias, running_mean, running_var, module, num_features, momentum, eps,
                       affine, track_running_stats):
    m = getattr(torch.nn, module)(num_features, eps=eps, momentum=momentum, affine=affine,
                                  track_running_stats=track_running_stats, dtype=dtype)
    state = {}
    if affine:
        state.update(weight=weight, bias=bias)
    if track_running_stats:
        state.update(running_mean=running_mean, running_var=running_var, num_batches_tracked=torch.tensor(0))
    m.load_state_dict(state)
    return m


def batch_norm_module(input, weight, bias, running_mean, running_var, *, module, num_features, mode="train",
                      momentum=0.1, eps=1e-5, affine=True, track_running_stats=True):
    """nn.BatchNorm1d/2d (module=...) loaded with the given state, one forward in `mode`."""
    m = _batch_norm_module(input.dtype, weight, bias, running_mean, running_var, module, num_features,
                           momentum, eps, affine, track_running_stats)
    if mode == "eval":
        m.eval()
    return {"out": m(input), "params": dict(m.named_parameters())}


def batch_norm_module_steps(first, second, evaluated, weight, bias, running_mean, running_var, *, module,
                            num_features, momentum=0.1, eps=1e-5, affine=True, track_running_stats=True):
    """Two training steps then one eval step: every output, then the buffers (when tracked)."""
    m = _batch_norm_module(first.dtype, weight, bias, running_mean, running_var, module, num_features,
                           momentum, eps, affine, track_running_stats)
    with torch.no_grad():
        outputs = [m(first), m(second)]
        m.eval()
        outputs.append(m(evaluated))
    if track_running_stats:
        outputs += [m.running_mean, m.running_var, m.num_batches_tracked]
    return tuple(outputs)


def layer_norm(input, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def layer_norm_module(input, weight, bias, *, normalized_shape, elementwise_affine=True, use_bias=True,
                      eps=1e-5):
    m = torch.nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=elementwise_affine, bias=use_bias,
                           dtype=input.dtype)
    state = {}
    if elementwise_affine:
        state["weight"] = weight
        if use_bias:
            state["bias"] = bias
    m.load_state_dict(state)
    return {"out": m(input), "params": dict(m.named_parameters())}
