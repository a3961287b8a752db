#!/usr/bin/python3
"""Checks compiled nngc trainers against PyTorch, op by op and model by model.

For each model: compile it with nngc, draw seeded inputs and parameters, run
`trainer grad-check`, and compare the loss, every parameter gradient and
every output with PyTorch (nn_torch.py reads the same model) at
    max|nngc - torch| / max|torch| <= --rtol   (per tensor, fp32);
check the gradients by central finite differences (--fd); and, with
--steps K, compare the parameters after K optimizer steps with torch.optim.

    oracle.py --nngc build/bin/nngc --workdir /tmp/w ops
    oracle.py --nngc build/bin/nngc --workdir /tmp/w examples/mlp_digits.mlir
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nn_torch  # noqa: E402
import safetensors_io  # noqa: E402

torch.set_num_threads(1)

# ------------------------------------------------------------ op models --

F = "tensor<4x6xf32>"
HEAD = """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %w = nn.param "w" init(normal) : tensor<4x6xf32>
  %h = nn.mul %x, %w : tensor<4x6xf32>, tensor<4x6xf32>
"""
TAIL = """  %loss = nn.mse %y, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.output "y" %y : tensor<4x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


def unary(op, attrs=""):
    return HEAD + f"  %y = nn.{op} %h {attrs} : {F}\n" + TAIL


def reduce_model(kind, shape, out, axis, mask=None):
    """x * w reduced (optionally masked), then an MSE (against a constant
    where the reduction removes the batch dimension)."""
    m_in = f'  %m = nn.input "m" : tensor<{mask}xf32>\n' if mask else ""
    m_use = f" mask(%m : tensor<{mask}xf32>)" if mask else ""
    same_batch = shape.split("x")[0] == out.split("x")[0]
    target = (f'nn.input "t" : tensor<{out}xf32>' if same_batch
              else f"nn.fill 0.5 : tensor<{out}xf32>")
    # Outputs are per batch row; a reduction over the batch has none.
    output = f'  nn.output "r" %r : tensor<{out}xf32>\n' if same_batch else ""
    return f"""  %x = nn.input "x" : tensor<{shape}xf32>
{m_in}  %t = {target}
  %w = nn.param "w" init(normal) : tensor<{shape}xf32>
  %h = nn.mul %x, %w : tensor<{shape}xf32>, tensor<{shape}xf32>
  %r = nn.reduce {kind} %h{m_use} {{axis = {axis}}} : tensor<{shape}xf32> -> tensor<{out}xf32>
  %loss = nn.mse %r, %t : tensor<{out}xf32>, tensor<{out}xf32>
{output}  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


def shape_model(op, shape, out):
    """x * w through one shape op (`op` reads %h), then an MSE."""
    return f"""  %x = nn.input "x" : tensor<{shape}xf32>
  %t = nn.input "t" : tensor<{out}xf32>
  %w = nn.param "w" init(normal) : tensor<{shape}xf32>
  %h = nn.mul %x, %w : tensor<{shape}xf32>, tensor<{shape}xf32>
  %r = {op} : tensor<{shape}xf32> -> tensor<{out}xf32>
  %loss = nn.mse %r, %t : tensor<{out}xf32>, tensor<{out}xf32>
  nn.output "r" %r : tensor<{out}xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


OPS = {
    "relu": unary("relu"),
    "leaky_relu": unary("leaky_relu", "{negative_slope = 0.2}"),
    "sigmoid": unary("sigmoid"),
    "tanh": unary("tanh"),
    "neg": unary("neg"),
    "gelu": unary("gelu"),
    "gelu_tanh": unary("gelu", "approximate = tanh"),
    "softmax": unary("softmax"),
    "softmax_axis0": unary("softmax", "{axis = 0}"),
    "log_softmax": unary("log_softmax"),
    "log_softmax_axis0": unary("log_softmax", "{axis = 0}"),
    "linear": """  %x = nn.input "x" : tensor<5x3xf32>
  %t = nn.input "t" : tensor<5x4xf32>
  %w = nn.param "fc.weight" init(normal) : tensor<4x3xf32>
  %b = nn.param "fc.bias" init(normal) : tensor<4xf32>
  %y = nn.linear %x, %w, %b : tensor<5x3xf32>, tensor<4x3xf32>, tensor<4xf32>
  %loss = nn.mse %y, %t : tensor<5x4xf32>, tensor<5x4xf32>
  nn.output "y" %y : tensor<5x4xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "linear_nobias_rank3": """  %x = nn.input "x" : tensor<2x5x3xf32>
  %t = nn.input "t" : tensor<2x5x4xf32>
  %v = nn.param "v" init(normal) : tensor<2x5x3xf32>
  %xv = nn.mul %x, %v : tensor<2x5x3xf32>, tensor<2x5x3xf32>
  %w = nn.param "fc.weight" init(normal) : tensor<4x3xf32>
  %y = nn.linear %xv, %w : tensor<2x5x3xf32>, tensor<4x3xf32>
  %loss = nn.mse %y, %t : tensor<2x5x4xf32>, tensor<2x5x4xf32>
  nn.output "y" %y : tensor<2x5x4xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "add_broadcast": """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %b = nn.param "b" init(normal) : tensor<6xf32>
  %c = nn.param "c" init(normal) : tensor<4x1xf32>
  %h = nn.add %x, %b : tensor<4x6xf32>, tensor<6xf32>
  %y = nn.add %c, %h : tensor<4x1xf32>, tensor<4x6xf32>
  %loss = nn.mse %y, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.output "y" %y : tensor<4x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "sub_mul_broadcast": """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %a = nn.param "a" init(normal) : tensor<4x1xf32>
  %b = nn.param "b" init(normal) : tensor<1x6xf32>
  %s = nn.param "s" init(normal) : tensor<f32>
  %ab = nn.mul %a, %b : tensor<4x1xf32>, tensor<1x6xf32>
  %h = nn.sub %x, %ab : tensor<4x6xf32>, tensor<4x6xf32>
  %y = nn.sub %s, %h : tensor<f32>, tensor<4x6xf32>
  %loss = nn.mse %y, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.output "y" %y : tensor<4x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "matmul": """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x5xf32>
  %a = nn.param "a" init(normal) : tensor<4x6xf32>
  %b = nn.param "b" init(normal) : tensor<6x5xf32>
  %c = nn.param "c" init(normal) : tensor<6x4xf32>
  %d = nn.param "d" init(normal) : tensor<5x6xf32>
  %xa = nn.mul %x, %a : tensor<4x6xf32>, tensor<4x6xf32>
  %y1 = nn.matmul %xa, %b : tensor<4x6xf32>, tensor<6x5xf32>
  %y2 = nn.matmul %c, %b {transpose_lhs} : tensor<6x4xf32>, tensor<6x5xf32>
  %y3 = nn.matmul %xa, %d {transpose_rhs} : tensor<4x6xf32>, tensor<5x6xf32>
  %y4 = nn.matmul %c, %d {transpose_lhs, transpose_rhs} : tensor<6x4xf32>, tensor<5x6xf32>
  %s1 = nn.add %y1, %y2 : tensor<4x5xf32>, tensor<4x5xf32>
  %s2 = nn.add %y3, %y4 : tensor<4x5xf32>, tensor<4x5xf32>
  %y = nn.mul %s1, %s2 : tensor<4x5xf32>, tensor<4x5xf32>
  %loss = nn.mse %y, %t : tensor<4x5xf32>, tensor<4x5xf32>
  nn.output "y" %y : tensor<4x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "matmul_batched": """  %x = nn.input "x" : tensor<3x4x6xf32>
  %t = nn.input "t" : tensor<3x4x5xf32>
  %b = nn.param "b" init(normal) : tensor<3x6x5xf32>
  %w = nn.param "w" init(normal) : tensor<5x6xf32>
  %y1 = nn.matmul %x, %b : tensor<3x4x6xf32>, tensor<3x6x5xf32>
  %y2 = nn.matmul %x, %w {transpose_rhs} : tensor<3x4x6xf32>, tensor<5x6xf32>
  %y = nn.add %y1, %y2 : tensor<3x4x5xf32>, tensor<3x4x5xf32>
  %loss = nn.mse %y, %t : tensor<3x4x5xf32>, tensor<3x4x5xf32>
  nn.output "y" %y : tensor<3x4x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "reshape_sum_to_fill": """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x3xf32>
  %w = nn.param "w" init(normal) : tensor<4x6xf32>
  %h = nn.mul %x, %w : tensor<4x6xf32>, tensor<4x6xf32>
  %r = nn.reshape %h : tensor<4x6xf32> -> tensor<4x3x2xf32>
  %s = nn.sum_to %r : tensor<4x3x2xf32> -> tensor<4x3x1xf32>
  %q = nn.reshape %s : tensor<4x3x1xf32> -> tensor<4x3xf32>
  %two = nn.fill 2.0 : tensor<4x3xf32>
  %y = nn.mul %q, %two : tensor<4x3xf32>, tensor<4x3xf32>
  %loss = nn.mse %y, %t : tensor<4x3xf32>, tensor<4x3xf32>
  nn.output "y" %y : tensor<4x3xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "fan_out": """  %x = nn.input "x" : tensor<4x6xf32>
  %t = nn.input "t" : tensor<4x6xf32>
  %w = nn.param "w" init(normal) : tensor<4x6xf32>
  %h = nn.mul %x, %w : tensor<4x6xf32>, tensor<4x6xf32>
  %a = nn.tanh %h : tensor<4x6xf32>
  %b = nn.mul %a, %h : tensor<4x6xf32>, tensor<4x6xf32>
  %y = nn.add %b, %w : tensor<4x6xf32>, tensor<4x6xf32>
  %loss = nn.mse %y, %t : tensor<4x6xf32>, tensor<4x6xf32>
  nn.output "y" %y : tensor<4x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "mse": HEAD + f"  %y = nn.sigmoid %h : {F}\n" + TAIL,
    "binary_cross_entropy": HEAD + f"""  %loss = nn.binary_cross_entropy %h, %t : {F}, {F}
  nn.output "h" %h : {F}
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "cross_entropy": """  %x = nn.input "x" : tensor<8x5xf32>
  %y = nn.input "y" : tensor<8xi64>
  %w = nn.param "w" init(normal) : tensor<8x5xf32>
  %h = nn.mul %x, %w : tensor<8x5xf32>, tensor<8x5xf32>
  %loss = nn.cross_entropy %h, %y : tensor<8x5xf32>, tensor<8xi64>
  nn.output "h" %h : tensor<8x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "cross_entropy_rank3": """  %x = nn.input "x" : tensor<2x3x5xf32>
  %y = nn.input "y" : tensor<2x3xi64>
  %w = nn.param "w" init(normal) : tensor<2x3x5xf32>
  %h = nn.mul %x, %w : tensor<2x3x5xf32>, tensor<2x3x5xf32>
  %loss = nn.cross_entropy %h, %y : tensor<2x3x5xf32>, tensor<2x3xi64>
  nn.output "h" %h : tensor<2x3x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "cross_entropy_ignore_index": """  %x = nn.input "x" : tensor<2x6x5xf32>
  %y = nn.input "y" : tensor<2x6xi64>
  %w = nn.param "w" init(normal) : tensor<2x6x5xf32>
  %h = nn.mul %x, %w : tensor<2x6x5xf32>, tensor<2x6x5xf32>
  %loss = nn.cross_entropy %h, %y {ignore_index = 1} : tensor<2x6x5xf32>, tensor<2x6xi64>
  nn.output "h" %h : tensor<2x6x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "reduce_mean_masked": reduce_model("mean", "3x4x5", "3x5", 1, "3x4x1"),
    "reduce_sum_masked_time_major": reduce_model("sum", "4x3x5", "3x5", 0, "4x3x1"),
    "reduce_max_masked": reduce_model("max", "3x4x5", "3x5", -2, "3x4x1"),
    "reduce_max_elementwise_mask": reduce_model("max", "3x4x5", "3x4", 2, "3x4x5"),
    "reduce_sum_keepdim": reduce_model("sum", "3x4x5", "3x1x5", 1),
    "reduce_mean_last": reduce_model("mean", "3x4x5", "3x4", -1),
    "reduce_max_keepdim": reduce_model("max", "3x4x5", "3x1x5", 1),
    "slice": shape_model("nn.slice %h {axis = 1, start = -3}", "3x4x5", "3x3x5"),
    "slice_first": shape_model("nn.slice %h {axis = 2, start = 0}", "3x4x5", "3x4x1"),
    "select_last_step": shape_model("nn.select %h {axis = 1, index = -1}", "3x4x5", "3x5"),
    "select": shape_model("nn.select %h {axis = 2, index = 2}", "3x4x5", "3x4"),
    "concat": """  %x = nn.input "x" : tensor<3x4xf32>
  %t = nn.input "t" : tensor<3x9xf32>
  %a = nn.param "a" init(normal) : tensor<3x4xf32>
  %b = nn.param "b" init(normal) : tensor<3x5xf32>
  %h = nn.mul %x, %a : tensor<3x4xf32>, tensor<3x4xf32>
  %c = nn.concat %h, %b, %h {axis = -1} : tensor<3x4xf32>, tensor<3x5xf32>, tensor<3x4xf32> -> tensor<3x13xf32>
  %s = nn.slice %c {axis = 1, start = 2} : tensor<3x13xf32> -> tensor<3x9xf32>
  %loss = nn.mse %s, %t : tensor<3x9xf32>, tensor<3x9xf32>
  nn.output "c" %c : tensor<3x13xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
}

MLP = """  %x = nn.input "x" : tensor<8x5xf32>
  %y = nn.input "y" : tensor<8xi64>
  %w1 = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<7x5xf32>
  %b1 = nn.param "fc1.bias" init(uniform, -0.4, 0.4) : tensor<7xf32>
  %w2 = nn.param "fc2.weight" init(kaiming_uniform, 2.23606797749979) : tensor<3x7xf32>
  %b2 = nn.param "fc2.bias" init(uniform, -0.3, 0.3) : tensor<3xf32>
  %h = nn.linear %x, %w1, %b1 : tensor<8x5xf32>, tensor<7x5xf32>, tensor<7xf32>
  %a = nn.relu %h : tensor<8x7xf32>
  %z = nn.linear %a, %w2, %b2 : tensor<8x7xf32>, tensor<3x7xf32>, tensor<3xf32>
  %loss = nn.cross_entropy %z, %y : tensor<8x3xf32>, tensor<8xi64>
  nn.output "logits" %z : tensor<8x3xf32>
"""
OPTIMIZERS = {
    "sgd": "#nn.sgd<lr = 0.1>",
    "sgd_momentum": "#nn.sgd<lr = 0.1, momentum = 0.9, dampening = 0.1>",
    "sgd_nesterov_wd": "#nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01>",
    "adam": "#nn.adam<lr = 0.01>",
    "adam_wd": "#nn.adam<lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-6, weight_decay = 0.1>",
    "adamw": "#nn.adamw<lr = 0.01>",
    "adamw_groups_clip_cosine": "#nn.adamw<lr = 0.01, beta2 = 0.99, weight_decay = 0.1> "
        "clip_grad_norm(0.5) decay(matrices) "
        "schedule(#nn.warmup_cosine<warmup = 1, decay_steps = 3, min_lr = 1.0e-3>)",
    "sgd_clip_step_lr": "#nn.sgd<lr = 0.1, momentum = 0.9, weight_decay = 0.01> "
        "clip_grad_norm(0.3) schedule(#nn.step_lr<step_size = 2, gamma = 0.5>)",
}


def recurrent_model(cell, layers=1, bidirectional=False, initial=False,
                    batch_first=False, bias=True, nonlinearity=None, mask=False):
    """One nn.rnn/gru/lstm whose every result feeds the loss; the input is
    scaled by a parameter and the initial states are parameters, so that
    every cotangent the op produces is checked."""
    T, B, I, H = 5, 3, 4, 6
    D = 2 if bidirectional else 1
    G = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    # Inputs and loss operands are batch-first (the trainer's convention);
    # a time-major layer gets transposes around it.
    xb, yb = f"tensor<{B}x{T}x{I}xf32>", f"tensor<{B}x{T}x{D * H}xf32>"
    x = xb if batch_first else f"tensor<{T}x{B}x{I}xf32>"
    y = yb if batch_first else f"tensor<{T}x{B}x{D * H}xf32>"
    st = f"tensor<{layers * D}x{B}x{H}xf32>"
    stb = f"tensor<{B}x{layers * D}x{H}xf32>"
    swap = "{permutation = array<i64: 1, 0, 2>}"
    lines = [f'  %x = nn.input "x" : {xb}', f'  %t = nn.input "t" : {yb}',
             f'  %u = nn.input "u" : {stb}',
             f'  %v = nn.param "scale" init(normal) : {xb}',
             f"  %xv = nn.mul %x, %v : {xb}, {xb}"]
    if not batch_first:
        lines.append(f"  %xs = nn.transpose %xv {swap} : {xb} -> {x}")
    mask_use = ""
    if mask:
        # Sequence lengths as a mask of 1s then 0s, batch-first like every
        # input; a time-major layer gets it transposed.
        mb = f"tensor<{B}x{T}x1xf32>"
        lines.append(f'  %m = nn.input "m" : {mb}')
        mask_use = f" mask(%m : {mb})"
        if not batch_first:
            mt = f"tensor<{T}x{B}x1xf32>"
            lines.append(f"  %mt = nn.transpose %m {swap} : {mb} -> {mt}")
            mask_use = f" mask(%mt : {mt})"
    states = ["h0", "c0"] if cell == "lstm" else ["h0"]
    if initial:
        lines += [f'  %{s} = nn.param "{s}" init(normal) : {st}' for s in states]
    weights, types = [], []
    for layer in range(layers):
        for d in range(D):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            inp = I if layer == 0 else D * H
            kinds = [("weight_ih", f"{G * H}x{inp}"), ("weight_hh", f"{G * H}x{H}")]
            if bias:
                kinds += [("bias_ih", f"{G * H}"), ("bias_hh", f"{G * H}")]
            for kind, shape in kinds:
                name = f"w_{kind}{suffix}"
                lines.append(f'  %{name} = nn.param "{cell}.{kind}{suffix}" '
                             f'init(normal) : tensor<{shape}xf32>')
                weights.append("%" + name)
                types.append(f"tensor<{shape}xf32>")
    attrs = []
    if layers > 1:
        attrs.append(f"num_layers = {layers}")
    if bidirectional:
        attrs.append("bidirectional")
    if batch_first:
        attrs.append("batch_first")
    attr_text = (" {" + ", ".join(attrs) + "}") if attrs else ""
    if nonlinearity:
        attr_text = f" nonlinearity = {nonlinearity}" + attr_text
    init_ops = ", ".join("%" + s for s in states)
    init_types = ", ".join([st] * len(states))
    init = f" initial({init_ops})" if initial else ""
    init_t = f" initial({init_types})" if initial else ""
    results = ["%out", "%hn"] + (["%cn"] if cell == "lstm" else [])
    src = "%xv" if batch_first else "%xs"
    lines.append(f"  {', '.join(results)} = nn.{cell} {src}{mask_use}{init} weights({', '.join(weights)})"
                 f"{attr_text} : {x}{init_t} weights({', '.join(types)}) -> "
                 + ", ".join([y] + [st] * (len(results) - 1)))
    out = "%out"
    if not batch_first:
        lines.append(f"  %outb = nn.transpose %out {swap} : {y} -> {yb}")
        out = "%outb"
    lines.append(f"  %hnb = nn.transpose %hn {swap} : {st} -> {stb}")
    lines.append(f"  %l0 = nn.mse {out}, %t : {yb}, {yb}")
    lines.append(f"  %l1 = nn.mse %hnb, %u : {stb}, {stb}")
    lines.append("  %l2 = nn.add %l0, %l1 : tensor<f32>, tensor<f32>")
    loss = "%l2"
    if cell == "lstm" and not mask:  # c_n is not computed with a mask
        lines.append(f"  %cnb = nn.transpose %cn {swap} : {st} -> {stb}")
        lines.append(f"  %l3 = nn.mse %cnb, %u : {stb}, {stb}")
        lines.append("  %l4 = nn.add %l2, %l3 : tensor<f32>, tensor<f32>")
        loss = "%l4"
    lines.append(f'  nn.output "y" {out} : {yb}')
    lines.append(f'  nn.output "h_n" %hnb : {stb}')
    lines.append(f"  nn.minimize {loss} with #nn.adam<lr = 0.01>")
    return "\n".join(lines) + "\n"


RECURRENT = {
    "rnn_tanh": recurrent_model("rnn"),
    "rnn_relu_2layer_bi": recurrent_model("rnn", layers=2, bidirectional=True,
                                          nonlinearity="relu"),
    "lstm": recurrent_model("lstm"),
    "lstm_initial": recurrent_model("lstm", initial=True),
    "lstm_2layer": recurrent_model("lstm", layers=2),
    "lstm_bi": recurrent_model("lstm", bidirectional=True),
    "lstm_2layer_bi_initial_batch_first": recurrent_model(
        "lstm", layers=2, bidirectional=True, initial=True, batch_first=True),
    "lstm_nobias": recurrent_model("lstm", bias=False),
    "gru": recurrent_model("gru"),
    "gru_initial_batch_first": recurrent_model("gru", initial=True, batch_first=True),
    "gru_2layer_bi": recurrent_model("gru", layers=2, bidirectional=True),
    "gru_2layer_bi_initial": recurrent_model("gru", layers=2, bidirectional=True,
                                             initial=True),
    "rnn_2layer_initial": recurrent_model("rnn", layers=2, initial=True),
    # Sequence lengths (a mask): each direction of each layer runs on every
    # sequence's own steps, as with pack_padded_sequence.
    "lstm_bi_masked_batch_first": recurrent_model("lstm", bidirectional=True,
                                                  batch_first=True, mask=True),
    "gru_2layer_bi_masked_initial": recurrent_model(
        "gru", layers=2, bidirectional=True, initial=True, mask=True),
    "rnn_masked": recurrent_model("rnn", mask=True),
    "lstm_2layer_masked_initial_batch_first": recurrent_model(
        "lstm", layers=2, initial=True, batch_first=True, mask=True),
    "embedding": """  %ids = nn.input "ids" : tensor<4x6xi64>
  %t = nn.input "t" : tensor<4x6x5xf32>
  %e = nn.param "embed.weight" init(normal) : tensor<11x5xf32>
  %y = nn.embedding %ids, %e {padding_idx = 0} : tensor<4x6xi64>, tensor<11x5xf32>
  %loss = nn.mse %y, %t : tensor<4x6x5xf32>, tensor<4x6x5xf32>
  nn.output "y" %y : tensor<4x6x5xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
    "char_lm": """  %ids = nn.input "ids" : tensor<3x7xi64>
  %next = nn.input "next" : tensor<3x7xi64>
  %e = nn.param "embed.weight" init(normal) : tensor<9x4xf32>
  %wih = nn.param "lstm.weight_ih_l0" init(normal) : tensor<20x4xf32>
  %whh = nn.param "lstm.weight_hh_l0" init(normal) : tensor<20x5xf32>
  %bih = nn.param "lstm.bias_ih_l0" init(normal) : tensor<20xf32>
  %bhh = nn.param "lstm.bias_hh_l0" init(normal) : tensor<20xf32>
  %w = nn.param "fc.weight" init(normal) : tensor<9x5xf32>
  %b = nn.param "fc.bias" init(normal) : tensor<9xf32>
  %x = nn.embedding %ids, %e : tensor<3x7xi64>, tensor<9x4xf32>
  %o, %hn, %cn = nn.lstm %x weights(%wih, %whh, %bih, %bhh) {batch_first} : tensor<3x7x4xf32> weights(tensor<20x4xf32>, tensor<20x5xf32>, tensor<20xf32>, tensor<20xf32>) -> tensor<3x7x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>
  %z = nn.linear %o, %w, %b : tensor<3x7x5xf32>, tensor<9x5xf32>, tensor<9xf32>
  %loss = nn.cross_entropy %z, %next : tensor<3x7x9xf32>, tensor<3x7xi64>
  nn.output "logits" %z : tensor<3x7x9xf32>
  nn.minimize %loss with #nn.adam<lr = 0.01>
""",
}


def layer_norm_model(shape, affine, attrs=""):
    """x * w through a layer norm (with `affine`: {'weight': shape, ...})."""
    t = f"tensor<{shape}xf32>"
    lines = [f'  %x = nn.input "x" : {t}', f'  %t = nn.input "t" : {t}',
             f'  %w = nn.param "w" init(normal) : {t}',
             f"  %h = nn.mul %x, %w : {t}, {t}"]
    kw = ""
    for name, s in affine.items():
        lines.append(f'  %{name} = nn.param "ln.{name}" init(normal) : tensor<{s}xf32>')
        kw += f" {name}(%{name} : tensor<{s}xf32>)"
    lines += [f"  %y = nn.layer_norm %h{kw} {attrs} : {t}",
              f"  %loss = nn.mse %y, %t : {t}, {t}",
              f'  nn.output "y" %y : {t}',
              "  nn.minimize %loss with #nn.sgd<lr = 0.1>"]
    return "\n".join(lines) + "\n"


def attention_model(b, tq, tk, c, attrs, mask=False):
    """Self- or cross-attention over projected inputs, then an MSE."""
    q, kv = f"tensor<{b}x{tq}x{c}xf32>", f"tensor<{b}x{tk}x{c}xf32>"
    m_in = f'  %m = nn.input "m" : tensor<{b}x{tk}x1xf32>\n' if mask else ""
    m_use = f" key_padding_mask(%m : tensor<{b}x{tk}x1xf32>)" if mask else ""
    return f"""  %x = nn.input "x" : {q}
  %s = nn.input "s" : {kv}
{m_in}  %t = nn.input "t" : {q}
  %wq = nn.param "q.weight" init(normal) : tensor<{c}x{c}xf32>
  %wk = nn.param "k.weight" init(normal) : tensor<{c}x{c}xf32>
  %wv = nn.param "v.weight" init(normal) : tensor<{c}x{c}xf32>
  %q = nn.linear %x, %wq : {q}, tensor<{c}x{c}xf32>
  %k = nn.linear %s, %wk : {kv}, tensor<{c}x{c}xf32>
  %v = nn.linear %s, %wv : {kv}, tensor<{c}x{c}xf32>
  %y = nn.attention %q, %k, %v{m_use} {attrs} : {q}, {kv}, {kv}
  %loss = nn.mse %y, %t : {q}, {q}
  nn.output "y" %y : {q}
  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


def mha_model(b, tq, tk, c, attrs, bias=True, mask=False, self_attn=False):
    """nn.multihead_attention (self- or cross-attention), then an MSE."""
    q, kv = f"tensor<{b}x{tq}x{c}xf32>", f"tensor<{b}x{tk}x{c}xf32>"
    m_in = f'  %m = nn.input "m" : tensor<{b}x{tk}x1xf32>\n' if mask else ""
    m_use = f" key_padding_mask(%m : tensor<{b}x{tk}x1xf32>)" if mask else ""
    ws = [("in_w", "in_proj_weight", f"{3 * c}x{c}")]
    if bias:
        ws.append(("in_b", "in_proj_bias", f"{3 * c}"))
    ws.append(("out_w", "out_proj.weight", f"{c}x{c}"))
    if bias:
        ws.append(("out_b", "out_proj.bias", f"{c}"))
    params = "".join(f'  %{v} = nn.param "attn.{n}" init(normal) : tensor<{s}xf32>\n'
                     for v, n, s in ws)
    src = "%x, %x, %x" if self_attn else "%x, %s, %s"
    return f"""  %x = nn.input "x" : {q}
  %s = nn.input "s" : {kv}
{m_in}  %t = nn.input "t" : {q}
{params}  %y = nn.multihead_attention {src}{m_use} weights({", ".join("%" + v for v, _, _ in ws)}) {attrs} : {q}, {q if self_attn else kv}, {q if self_attn else kv} weights({", ".join(f"tensor<{s}xf32>" for _, _, s in ws)}) -> {q}
  %loss = nn.mse %y, %t : {q}, {q}
  nn.output "y" %y : {q}
  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


TRANSFORMER = {
    "layer_norm": layer_norm_model("4x3x6", {"weight": "6", "bias": "6"}),
    "layer_norm_no_bias": layer_norm_model("4x3x6", {"weight": "6"}),
    "layer_norm_plain_eps": layer_norm_model("4x6", {}, "{eps = 1.0e-3}"),
    "layer_norm_2d": layer_norm_model("4x3x6", {"weight": "3x6", "bias": "3x6"}),
    "attention_causal_1head": attention_model(3, 5, 5, 4, "{heads = 1, causal}"),
    "attention_causal_4heads": attention_model(3, 5, 5, 8, "{heads = 4, causal}"),
    "attention_padded_2heads": attention_model(4, 5, 5, 6, "{heads = 2}", mask=True),
    "attention_padded_causal": attention_model(4, 6, 6, 8, "{heads = 2, causal}", mask=True),
    "attention_cross_scale": attention_model(2, 3, 7, 6, "{heads = 3, scale = 0.3}"),
    "mha_self_padded": mha_model(3, 5, 5, 8, "{heads = 2}", mask=True, self_attn=True),
    "mha_self_causal_nobias": mha_model(2, 4, 4, 6, "{heads = 3, causal}", bias=False,
                                        self_attn=True),
    "mha_cross": mha_model(2, 3, 6, 8, "{heads = 4}"),
    # A Transformer decoder's cross-attention: the encoder's padding mask
    # (memory_key_padding_mask) on keys that differ in number from queries.
    "mha_cross_padded": mha_model(3, 4, 6, 8, "{heads = 2}", mask=True),
    "positions": """  %ids = nn.input "ids" : tensor<2x5xi64>
  %t = nn.input "t" : tensor<2x5x6xf32>
  %wte = nn.param "wte.weight" init(normal) : tensor<7x6xf32>
  %wpe = nn.param "wpe.weight" init(normal) : tensor<5x6xf32>
  %pos = nn.arange : tensor<5xi64>
  %te = nn.embedding %ids, %wte : tensor<2x5xi64>, tensor<7x6xf32>
  %pe = nn.embedding %pos, %wpe : tensor<5xi64>, tensor<5x6xf32>
  %sin = nn.sinusoidal_positions : tensor<5x6xf32>
  %h = nn.add %te, %pe : tensor<2x5x6xf32>, tensor<5x6xf32>
  %y = nn.add %h, %sin : tensor<2x5x6xf32>, tensor<5x6xf32>
  %loss = nn.mse %y, %t : tensor<2x5x6xf32>, tensor<2x5x6xf32>
  nn.output "y" %y : tensor<2x5x6xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.1>
""",
}


def recurrent_attention_model(op, b, tq, tk, qw, kw, cw, weights, attrs="", mask=False):
    """nn.additive_attention / nn.multiplicative_attention over inputs
    scaled by parameters (so that query, keys and values get cotangents),
    then an MSE. `weights` are (name, shape) pairs."""
    q, k, v = (f"tensor<{b}x{tq}x{qw}xf32>", f"tensor<{b}x{tk}x{kw}xf32>",
               f"tensor<{b}x{tk}x{cw}xf32>")
    out = f"tensor<{b}x{tq}x{cw}xf32>"
    m_in = f'  %m = nn.input "m" : tensor<{b}x{tk}x1xf32>\n' if mask else ""
    m_use = f" key_padding_mask(%m : tensor<{b}x{tk}x1xf32>)" if mask else ""
    params = "".join(f'  %w{i} = nn.param "attn.{n}" init(normal) : tensor<{sh}xf32>\n'
                     for i, (n, sh) in enumerate(weights))
    w_use = (" weights(" + ", ".join(f"%w{i}" for i in range(len(weights))) + " : " +
             ", ".join(f"tensor<{sh}xf32>" for _, sh in weights) + ")") if weights else ""
    return f"""  %x = nn.input "x" : {q}
  %s = nn.input "s" : {k}
  %u = nn.input "u" : {v}
{m_in}  %t = nn.input "t" : {out}
  %sx = nn.param "sx" init(normal) : {q}
  %ss = nn.param "ss" init(normal) : {k}
  %su = nn.param "su" init(normal) : {v}
  %qx = nn.mul %x, %sx : {q}, {q}
  %ks = nn.mul %s, %ss : {k}, {k}
  %vu = nn.mul %u, %su : {v}, {v}
{params}  %y = nn.{op} %qx, %ks, %vu{m_use}{w_use} {attrs} : {q}, {k}, {v} -> {out}
  %loss = nn.mse %y, %t : {out}, {out}
  nn.output "y" %y : {out}
  nn.minimize %loss with #nn.sgd<lr = 0.1>
"""


def seq2seq_model(score):
    """One training step of a recurrent translation model with teacher
    forcing: embedded source ids through a GRU encoder (the padding mask
    gives each sentence its own length), a GRU decoder over the embedded
    target inputs starting from the encoder's final state, Luong's
    (general) or Bahdanau's attention over the encoder's outputs with the
    source mask, tanh(W [context; state]), the vocabulary projection and a
    cross-entropy that ignores padding (index 0)."""
    B, S, T, V, E, H = 3, 5, 4, 11, 6, 8
    G = 3 * H
    if score == "general":
        attn_p = f'  %wa = nn.param "attn.Wa.weight" init(normal) : tensor<{H}x{H}xf32>\n'
        attn = (f"  %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%sm : "
                f"tensor<{B}x{S}x1xf32>) weights(%wa : tensor<{H}x{H}xf32>) : tensor<{B}x{T}x{H}xf32>, "
                f"tensor<{B}x{S}x{H}xf32>, tensor<{B}x{S}x{H}xf32> -> tensor<{B}x{T}x{H}xf32>\n")
    else:
        A = 7
        ws = [("Wa.weight", f"{A}x{H}"), ("Wa.bias", f"{A}"), ("Ua.weight", f"{A}x{H}"),
              ("Ua.bias", f"{A}"), ("Va.weight", f"1x{A}")]
        attn_p = "".join(f'  %a{i} = nn.param "attn.{n}" init(normal) : tensor<{sh}xf32>\n'
                         for i, (n, sh) in enumerate(ws))
        attn = (f"  %ctx = nn.additive_attention %dec, %enc, %enc key_padding_mask(%sm : "
                f"tensor<{B}x{S}x1xf32>) weights(" + ", ".join(f"%a{i}" for i in range(5)) +
                " : " + ", ".join(f"tensor<{sh}xf32>" for _, sh in ws) +
                f") : tensor<{B}x{T}x{H}xf32>, tensor<{B}x{S}x{H}xf32>, tensor<{B}x{S}x{H}xf32> "
                f"-> tensor<{B}x{T}x{H}xf32>\n")

    def gru(prefix, inp):
        return "".join(f'  %{prefix}_{k} = nn.param "{prefix}.{k}_l0" init(normal) : tensor<{sh}xf32>\n'
                       for k, sh in [("weight_ih", f"{G}x{inp}"), ("weight_hh", f"{G}x{H}"),
                                     ("bias_ih", f"{G}"), ("bias_hh", f"{G}")])

    gw = lambda p, i: (f"%{p}_weight_ih, %{p}_weight_hh, %{p}_bias_ih, %{p}_bias_hh", (  # noqa: E731
        f"tensor<{G}x{i}xf32>, tensor<{G}x{H}xf32>, tensor<{G}xf32>, tensor<{G}xf32>"))
    ew, et = gw("encoder", E)
    dw, dt = gw("decoder", E)
    return f"""  %src = nn.input "src" : tensor<{B}x{S}xi64>
  %sm = nn.input "src_mask" : tensor<{B}x{S}x1xf32>
  %tgt = nn.input "tgt_in" : tensor<{B}x{T}xi64>
  %next = nn.input "tgt_out" : tensor<{B}x{T}xi64>
  %se = nn.param "src_embed.weight" init(normal) : tensor<{V}x{E}xf32>
  %te = nn.param "tgt_embed.weight" init(normal) : tensor<{V}x{E}xf32>
{gru("encoder", E)}{gru("decoder", E)}{attn_p}  %wc = nn.param "combine.weight" init(normal) : tensor<{H}x{2 * H}xf32>
  %bc = nn.param "combine.bias" init(normal) : tensor<{H}xf32>
  %wo = nn.param "out.weight" init(normal) : tensor<{V}x{H}xf32>
  %bo = nn.param "out.bias" init(normal) : tensor<{V}xf32>
  %xs = nn.embedding %src, %se : tensor<{B}x{S}xi64>, tensor<{V}x{E}xf32>
  %enc, %hn = nn.gru %xs mask(%sm : tensor<{B}x{S}x1xf32>) weights({ew}) {{batch_first}} : tensor<{B}x{S}x{E}xf32> weights({et}) -> tensor<{B}x{S}x{H}xf32>, tensor<1x{B}x{H}xf32>
  %xt = nn.embedding %tgt, %te : tensor<{B}x{T}xi64>, tensor<{V}x{E}xf32>
  %dec, %dn = nn.gru %xt initial(%hn) weights({dw}) {{batch_first}} : tensor<{B}x{T}x{E}xf32> initial(tensor<1x{B}x{H}xf32>) weights({dt}) -> tensor<{B}x{T}x{H}xf32>, tensor<1x{B}x{H}xf32>
{attn}  %cat = nn.concat %ctx, %dec {{axis = 2}} : tensor<{B}x{T}x{H}xf32>, tensor<{B}x{T}x{H}xf32> -> tensor<{B}x{T}x{2 * H}xf32>
  %comb = nn.linear %cat, %wc, %bc : tensor<{B}x{T}x{2 * H}xf32>, tensor<{H}x{2 * H}xf32>, tensor<{H}xf32>
  %h = nn.tanh %comb : tensor<{B}x{T}x{H}xf32>
  %logits = nn.linear %h, %wo, %bo : tensor<{B}x{T}x{H}xf32>, tensor<{V}x{H}xf32>, tensor<{V}xf32>
  %loss = nn.cross_entropy %logits, %next {{ignore_index = 0}} : tensor<{B}x{T}x{V}xf32>, tensor<{B}x{T}xi64>
  nn.output "logits" %logits : tensor<{B}x{T}x{V}xf32>
  nn.minimize %loss with #nn.sgd<lr = 0.5>
"""


SEQ2SEQ = {
    "additive_masked": recurrent_attention_model(
        "additive_attention", 3, 4, 5, 6, 5, 5,
        [("Wa.weight", "7x6"), ("Wa.bias", "7"), ("Ua.weight", "7x5"), ("Ua.bias", "7"),
         ("Va.weight", "1x7")], mask=True),
    "additive_nobias_scale": recurrent_attention_model(
        "additive_attention", 2, 3, 6, 4, 5, 3,
        [("Wa.weight", "6x4"), ("Ua.weight", "6x5"), ("Va.weight", "1x6")],
        attrs="{scale = 0.5}"),
    "general_masked": recurrent_attention_model(
        "multiplicative_attention", 3, 4, 5, 6, 5, 5, [("Wa.weight", "6x5")], mask=True),
    "dot_scale": recurrent_attention_model(
        "multiplicative_attention", 2, 3, 6, 4, 4, 3, [], attrs="{scale = 0.5}"),
    "gru_luong_step": seq2seq_model("general"),
    "gru_bahdanau_step": seq2seq_model("additive"),
}


def model_text(name, body):
    return f"nn.model @{name} {{\n{body}}}\n"


def builtin_models(kind):
    if kind == "ops":
        return {f"op_{k}": model_text(f"op_{k}", v) for k, v in OPS.items()}
    if kind == "recurrent":
        return {f"seq_{k}": model_text(f"seq_{k}", v) for k, v in RECURRENT.items()}
    if kind == "transformer":
        return {f"tf_{k}": model_text(f"tf_{k}", v) for k, v in TRANSFORMER.items()}
    if kind == "seq2seq":
        return {f"s2s_{k}": model_text(f"s2s_{k}", v) for k, v in SEQ2SEQ.items()}
    return {f"opt_{k}": model_text(f"opt_{k}", MLP + f"  nn.minimize %loss with {v}\n")
            for k, v in OPTIMIZERS.items()}


# ---------------------------------------------------------- comparison --

def rel_err(ours, ref):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    diff = np.max(np.abs(ours - ref)) if ref.size else 0.0
    return diff / scale if scale > 0 else diff


def make_data(model, seed):
    """Seeded inputs (drawn as the loss that reads each needs) and params."""
    rng = np.random.default_rng(seed)
    role, vocab, axis = {}, {}, {}
    shapes = {o["result"]: o.get("shape") for o in model.params}
    for o in model.ops:
        if o["op"] == "embedding":
            role[o["operands"][0]] = "ids"
            vocab[o["operands"][0]] = shapes[o["operands"][1]][0]
        elif o["op"] == "cross_entropy":
            role[o["operands"][1]] = "labels"
        elif o["op"] == "binary_cross_entropy":
            role[o["operands"][1]] = "probs"
        elif o["op"] == "reduce" and len(o["operands"]) == 2:
            role[o["operands"][1]] = "mask"
            axis[o["operands"][1]] = int(o["attrs"]["axis"])
        elif o["op"] in ("rnn", "gru", "lstm") and o.get("has_mask"):
            m = o["operands"][1]
            for t in model.ops:  # a time-major layer's mask is transposed
                if t["op"] == "transpose" and t["result"] == m:
                    m = t["operands"][0]
            role[m] = "lengths"
        elif (o["op"] in ("attention", "multihead_attention", "additive_attention",
                          "multiplicative_attention")
              and "key_padding_mask" in o["keywords"]):
            role[o["keywords"]["key_padding_mask"]] = "lengths1"
    inputs = {}
    for o in model.inputs:
        r = o["result"]
        if role.get(r) == "ids":
            inputs[o["name"]] = rng.integers(0, vocab[r], size=o["shape"]).astype(np.int64)
        elif role.get(r) == "labels":
            c = model_classes(model, r)
            inputs[o["name"]] = rng.integers(0, c, size=o["shape"]).astype(np.int64)
        elif role.get(r) == "mask":
            # About 40% padding, but never a whole slice: index 0 along
            # the reduced axis is always kept.
            m = (rng.uniform(size=o["shape"]) < 0.6).astype(np.float32)
            np.moveaxis(m, axis[r], 0)[0] = 1.0
            inputs[o["name"]] = m
        elif role.get(r) == "lengths1":
            # [B, T, 1]: lengths from 1 to T (attention needs a key).
            B, T = o["shape"][0], o["shape"][1]
            lengths = rng.integers(1, T + 1, size=B)
            lengths[0] = T
            m = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float32)
            inputs[o["name"]] = m.reshape(o["shape"])
        elif role.get(r) == "lengths":
            # [B, T, 1]: sequence lengths from 0 (an empty sequence) to T,
            # the longest always T.
            B, T = o["shape"][0], o["shape"][1]
            lengths = rng.integers(0, T + 1, size=B)
            lengths[0] = T
            if B > 2:
                lengths[1] = 0
            m = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float32)
            inputs[o["name"]] = m[:, :, None]
        elif role.get(r) == "probs":
            inputs[o["name"]] = rng.uniform(0, 1, size=o["shape"]).astype(np.float32)
        else:
            inputs[o["name"]] = rng.normal(size=o["shape"]).astype(np.float32)
    params = {p["name"]: (0.5 * rng.normal(size=p["shape"])).astype(np.float32)
              for p in model.params}
    return inputs, params


def model_classes(model, label_result):
    """The class count of the cross-entropy reading `label_result`, from a
    run of the torch model on zeros."""
    values = {}
    for o in model.inputs + model.params:
        dtype = torch.int64 if o.get("dtype") == "i64" else torch.float32
        values[o["name"]] = torch.zeros(o["shape"], dtype=dtype)
    for o in model.ops:
        if o["op"] == "cross_entropy" and o["operands"][1] == label_result:
            return model.run(values)[o["operands"][0]].shape[-1]
    raise ValueError("no cross_entropy uses " + label_result)


def check(path, text, args, failures):
    name = os.path.splitext(os.path.basename(path))[0]
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    mlir = os.path.join(work, name + ".mlir")
    if text is not None:
        with open(mlir, "w") as f:
            f.write(text)
    else:
        mlir = path
        with open(path) as f:
            text = f.read()
    exe = os.path.join(work, "trainer")
    subprocess.run([args.nngc, "compile", mlir, "-o", exe], check=True)
    model = nn_torch.Model(text)
    inputs, params = make_data(model, args.seed)
    batch = next(iter(inputs.values())).shape[0]
    valid = args.valid_rows or batch
    safetensors_io.save(os.path.join(work, "inputs.safetensors"), inputs)
    safetensors_io.save(os.path.join(work, "params.safetensors"), params)
    cmd = [exe, "grad-check", "--inputs", os.path.join(work, "inputs.safetensors"),
           "--params", os.path.join(work, "params.safetensors"),
           "--out", os.path.join(work, "out.safetensors"),
           "--train-steps", str(args.steps), "--fd", str(args.fd),
           "--fd-eps", str(args.fd_eps)]
    if args.valid_rows:
        cmd += ["--valid-rows", str(valid)]
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    ours = safetensors_io.load(os.path.join(work, "out.safetensors"))

    # PyTorch on the same values (only the valid rows of the batch).
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tin = {k: torch.tensor(v[:valid]) for k, v in inputs.items()}
    env = model.run({**tin, **tparams})
    loss = env[model.loss]
    loss.backward()
    errors = {"loss": rel_err(ours["loss"], loss.detach().numpy())}
    for k, p in tparams.items():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        errors["grad." + k] = rel_err(ours["grad." + k], g.numpy())
    for oname, res in model.outputs:
        errors["output." + oname] = rel_err(ours["output." + oname][:valid],
                                            env[res].detach().numpy())
    if args.steps:
        names = list(tparams)
        opt = model.torch_optimizer([tparams[n] for n in names], names)
        for it in range(args.steps):
            model.train_step(opt, it, list(tparams.values()),
                             model.run({**tin, **tparams})[model.loss])
        for k, p in tparams.items():
            errors[f"param.{k} after {args.steps} steps"] = rel_err(
                ours["param." + k], p.detach().numpy())
    worst = max(errors, key=errors.get)
    ok = errors[worst] <= args.rtol
    fd_ok = True
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        if "fd_param" in rec:
            tol = args.fd_tol * max(1.0, rec["max_abs_grad"])
            if rec["max_abs_err"] > tol:
                fd_ok = False
                print(f"  {name}: finite differences disagree for {rec['fd_param']}: "
                      f"max abs err {rec['max_abs_err']:.2e} > {tol:.2e}")
    status = "ok" if ok and fd_ok else "FAIL"
    print(f"{status:4} {name}: worst relative error {errors[worst]:.2e} ({worst}); "
          f"loss {float(loss):.6f}")
    if args.verbose or not ok:
        for k, v in errors.items():
            print(f"       {k}: {v:.2e}")
    if not (ok and fd_ok):
        failures.append(name)
    return errors


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="+", help="'ops', 'optimizers', 'recurrent', 'transformer', "
                   "'seq2seq' or .mlir files")
    p.add_argument("--nngc", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--rtol", type=float, default=1e-5)
    p.add_argument("--fd", type=int, default=6, help="coordinates per parameter")
    p.add_argument("--fd-eps", type=float, default=1e-2)
    p.add_argument("--fd-tol", type=float, default=2e-2)
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--valid-rows", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--report", help="append one JSON line per model here")
    args = p.parse_args()
    failures, count = [], 0
    for m in args.models:
        if m in ("ops", "optimizers", "recurrent", "transformer", "seq2seq"):
            for name, text in builtin_models(m).items():
                errs = check(name, text, args, failures)
                count += 1
                report(args, name, errs)
        else:
            errs = check(m, None, args, failures)
            count += 1
            report(args, m, errs)
    print(f"oracle: {count - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def report(args, name, errors):
    if args.report:
        with open(args.report, "a") as f:
            f.write(json.dumps({"model": name, "errors": errors}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
