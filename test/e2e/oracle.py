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
}


def model_text(name, body):
    return f"nn.model @{name} {{\n{body}}}\n"


def builtin_models(kind):
    if kind == "ops":
        return {f"op_{k}": model_text(f"op_{k}", v) for k, v in OPS.items()}
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
    role = {}
    for o in model.ops:
        if o["op"] == "cross_entropy":
            role[o["operands"][1]] = "labels"
        elif o["op"] == "binary_cross_entropy":
            role[o["operands"][1]] = "probs"
    inputs = {}
    for o in model.inputs:
        r = o["result"]
        if role.get(r) == "labels":
            c = model_classes(model, r)
            inputs[o["name"]] = rng.integers(0, c, size=o["shape"]).astype(np.int64)
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
        opt = model.torch_optimizer(list(tparams.values()))
        for _ in range(args.steps):
            opt.zero_grad()
            model.run({**tin, **tparams})[model.loss].backward()
            opt.step()
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
    p.add_argument("models", nargs="+", help="'ops', 'optimizers' or .mlir files")
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
        if m in ("ops", "optimizers"):
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
