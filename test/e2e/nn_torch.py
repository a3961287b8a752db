"""An independent PyTorch reading of an nn-dialect model, the tests' oracle.

It parses the (regular) textual form of a model written in the nn dialect,
line by line, and evaluates each op with the torch function that defines its
semantics (F.linear, F.cross_entropy, ...). It shares no code with nngc.
"""
import math
import re

import torch
import torch.nn.functional as F

_TYPE = re.compile(r"tensor<([0-9x]*?)x?(f32|i64)>")
_ASSIGN = re.compile(
    r"^\s*((?:%[\w.]+\s*,\s*)*%[\w.]+)\s*=\s*nn\.(\w+)\s*(.*)$")
_RECURRENT = {"rnn", "gru", "lstm"}


def parse_type(text):
    m = _TYPE.search(text)
    dims = m.group(1)
    shape = [int(d) for d in dims.split("x")] if dims else []
    return shape, m.group(2)


def parse_attrs(text):
    m = re.search(r"\{([^}]*)\}", text)
    attrs = {}
    if not m:
        return attrs
    for part in m.group(1).split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = (s.strip() for s in part.split("=", 1))
            v = v.split(":")[0].strip()
            attrs[k] = v
        else:
            attrs[part] = True
    return attrs


def attention(q, k, v, mask, heads, causal, scale):
    """Multi-head scaled dot-product attention, nanoGPT's explicit form."""
    B, Tq, C = q.shape
    Tk, D = k.shape[1], C // heads
    qh, kh, vh = (t.reshape(B, -1, heads, D).transpose(1, 2) for t in (q, k, v))
    s = (qh @ kh.transpose(-2, -1)) * (scale if scale is not None else 1.0 / math.sqrt(D))
    if causal:
        s = s.masked_fill(torch.tril(torch.ones(Tq, Tk)) == 0, float("-inf"))
    if mask is not None:
        s = s.masked_fill(mask.reshape(B, 1, 1, Tk) == 0, float("-inf"))
    return (F.softmax(s, dim=-1) @ vh).transpose(1, 2).reshape(B, Tq, C)


def multihead_attention(q, k, v, mask, weights, heads, causal, dropout):
    """torch.nn.MultiheadAttention's functional form (batch first), mask 1 =
    real token."""
    if dropout:
        raise NotImplementedError("the oracle evaluates attention dropout only at 0")
    in_w, in_b, out_w, out_b = (weights if len(weights) == 4
                                else [weights[0], None, weights[1], None])
    Tq, Tk = q.shape[1], k.shape[1]
    attn_mask = (torch.triu(torch.ones(Tq, Tk, dtype=torch.bool), 1) if causal else None)
    pad = (mask.reshape(k.shape[0], Tk) == 0) if mask is not None else None
    y, _ = F.multi_head_attention_forward(
        q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), q.shape[2], heads,
        in_w, in_b, None, None, False, 0.0, out_w, out_b, training=False,
        key_padding_mask=pad, need_weights=False, attn_mask=attn_mask)
    return y.transpose(0, 1)


def masked_softmax_context(scores, mask, values):
    """softmax over the keys with padded keys at -inf, then the weighted sum
    of the values: what the recurrent attention forms share."""
    if mask is not None:
        scores = scores.masked_fill(mask.reshape(scores.shape[0], 1, -1) == 0,
                                    float("-inf"))
    return torch.bmm(F.softmax(scores, dim=-1), values)


def additive_attention(q, k, v, mask, weights, scale):
    """Bahdanau attention as the PyTorch seq2seq tutorial's
    BahdanauAttention module computes it, Va(tanh(Wa(q) + Ua(k))), without
    Va's bias (which the softmax cancels)."""
    if len(weights) == 5:
        wa, ba, ua, bu, va = weights
    else:
        (wa, ua, va), ba, bu = weights, None, None
    e = F.linear(torch.tanh(F.linear(q, wa, ba).unsqueeze(2) +
                            F.linear(k, ua, bu).unsqueeze(1)), va).squeeze(3)
    return masked_softmax_context(e * (scale if scale is not None else 1.0), mask, v)


def multiplicative_attention(q, k, v, mask, weights, scale):
    """Luong attention: dot (no weight) or general (q . W k)."""
    if weights:
        k = F.linear(k, weights[0])
    e = torch.bmm(q, k.transpose(1, 2))
    return masked_softmax_context(e * (scale if scale is not None else 1.0), mask, v)


def sinusoidal_positions(t, c):
    """The PyTorch tutorials' PositionalEncoding table."""
    position = torch.arange(t).unsqueeze(1)
    div = torch.exp(torch.arange(0, c, 2) * (-math.log(10000.0) / c))
    pe = torch.zeros(t, c)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)
    return pe


def recurrent(op, a, at, has_initial, has_mask=False):
    """torch.nn.RNN/GRU/LSTM's functional form (torch._VF, what the modules
    call) on the op's operands: input, [mask], [h0, [c0]], _flat_weights.
    With a mask, each sequence runs alone on its own length (what
    pack_padded_sequence computes): outputs past it are 0, h_n is its state
    at its last step, and c_n is not computed (zeros)."""
    if has_mask:
        mask, a = a[1], [a[0]] + a[2:]
        masked = recurrent_masked(op, a, at, has_initial, mask)
        return masked
    layers = int(at.get("num_layers", 1))
    bidirectional = "bidirectional" in at
    batch_first = "batch_first" in at
    dropout = float(at.get("dropout", 0))
    d = 2 if bidirectional else 1
    n_init = (2 if op == "lstm" else 1) if has_initial else 0
    x, init, weights = a[0], a[1:1 + n_init], a[1 + n_init:]
    hidden = weights[1].shape[1]
    bias = len(weights) == 4 * layers * d
    batch = x.shape[0] if batch_first else x.shape[1]
    zeros = torch.zeros(layers * d, batch, hidden)
    args = (layers, dropout, False, bidirectional, batch_first)
    if op == "lstm":
        hx = tuple(init) if init else (zeros, zeros)
        out, h, c = torch._VF.lstm(x, hx, weights, bias, *args)
        return out, h, c
    h0 = init[0] if init else zeros
    if op == "gru":
        fn = torch._VF.gru
    else:
        fn = torch._VF.rnn_relu if at.get("nonlinearity") == "relu" else torch._VF.rnn_tanh
    out, h = fn(x, h0, weights, bias, *args)
    return out, h


def recurrent_masked(op, a, at, has_initial, mask):
    batch_first = "batch_first" in at
    d = 2 if "bidirectional" in at else 1
    x = a[0] if batch_first else a[0].transpose(0, 1)
    m = mask if batch_first else mask.transpose(0, 1)
    n_init = (2 if op == "lstm" else 1) if has_initial else 0
    B, T = x.shape[0], x.shape[1]
    lengths = [int(v) for v in m[:, :, 0].sum(1)]
    at_b = dict(at)
    at_b["batch_first"] = True
    outs, hs = [], []
    for b in range(B):
        init = [s[:, b:b + 1] for s in a[1:1 + n_init]]
        L = lengths[b]
        assert torch.equal(m[b, :, 0], (torch.arange(T) < L).float()), "not a prefix mask"
        if L == 0:
            hidden = a[1 + n_init + 1].shape[1]
            layers = int(at.get("num_layers", 1))
            outs.append(torch.zeros(1, T, d * hidden))
            hs.append(init[0] if init else torch.zeros(layers * d, 1, hidden))
            continue
        r = recurrent(op, [x[b:b + 1, :L]] + init + list(a[1 + n_init:]), at_b,
                      has_initial)
        out = r[0]
        outs.append(torch.cat([out, torch.zeros(1, T - L, out.shape[2])], 1))
        hs.append(r[1])
    out = torch.cat(outs, 0)
    if not batch_first:
        out = out.transpose(0, 1)
    h = torch.cat(hs, 1)
    return (out, h, torch.zeros_like(h)) if op == "lstm" else (out, h)


def reduce(kind, a, axis, shape):
    """nn.reduce: torch.sum/mean/max over `axis`, the mask (a[1], broadcast
    over trailing dimensions) leaving elements out."""
    x = a[0]
    keep = len(shape) == x.dim()
    if len(a) == 1:
        if kind == "max":
            r = x.max(dim=axis, keepdim=keep).values
        else:
            r = getattr(x, kind)(dim=axis, keepdim=keep)
        return r
    m = a[1].expand_as(x)
    if kind == "max":
        return x.masked_fill(m == 0, float("-inf")).max(dim=axis, keepdim=keep).values
    total = (x * m).sum(dim=axis, keepdim=keep)
    return total if kind == "sum" else total / m.sum(dim=axis, keepdim=keep)


class Model:
    """The ops of one nn.model, in order."""

    def __init__(self, text):
        self.ops, self.inputs, self.params, self.outputs = [], [], [], []
        self.loss, self.optimizer = None, None
        self.clip, self.decay, self.schedule = None, "all", None
        for line in text.splitlines():
            line = line.split("//")[0].rstrip()
            if not line.strip() or "nn.model" in line or line.strip() == "}":
                continue
            m = _ASSIGN.match(line)
            if m:
                result, op, rest = m.groups()
                self.ops.append(self._parse(result, op, rest))
                if op == "input":
                    self.inputs.append(self.ops[-1])
                if op == "param":
                    self.params.append(self.ops[-1])
                continue
            s = line.strip()
            if s.startswith("nn.output"):
                m = re.match(r'nn\.output\s+"([^"]+)"\s+(%[\w.]+)', s)
                self.outputs.append((m.group(1), m.group(2)))
            elif s.startswith("nn.minimize"):
                m = re.match(r"nn\.minimize\s+(%[\w.]+)\s+with\s+#nn\.(\w+)<([^>]*)>", s)
                self.loss = m.group(1)
                fields = {}
                for part in m.group(3).split(","):
                    if "=" in part:
                        k, v = (x.strip() for x in part.split("="))
                        fields[k] = v == "true" if v in ("true", "false") else float(v)
                self.optimizer = (m.group(2), fields)
                c = re.search(r"clip_grad_norm\(([^)]*)\)", s)
                self.clip = float(c.group(1)) if c else None
                d = re.search(r"decay\((\w+)\)", s)
                self.decay = d.group(1) if d else "all"
                sch = re.search(r"schedule\(#nn\.(\w+)<([^>]*)>\)", s)
                self.schedule = None
                if sch:
                    f = {k.strip(): float(v) for k, v in
                         (part.split("=") for part in sch.group(2).split(","))}
                    self.schedule = (sch.group(1), f)

    @staticmethod
    def _parse(result, op, rest):
        results = [r.strip() for r in result.split(",")]
        d = {"result": results[0], "results": results, "op": op}
        if op in ("input", "param"):
            d["name"] = re.match(r'"([^"]+)"', rest).group(1)
            d["no_weight_decay"] = "no_weight_decay" in rest
            d["shape"], d["dtype"] = parse_type(rest.split(":")[-1])
            return d
        if op in ("arange", "sinusoidal_positions"):
            d["shape"], _ = parse_type(rest.split(":")[-1])
            return d
        if op == "fill":
            d["value"] = float(rest.split(":")[0].split("{")[0])
            d["shape"], _ = parse_type(rest.split(":")[-1])
            return d
        if op == "reduce":
            d["kind"] = rest.split()[0]
        # A mask's type is written inside `mask(...)`; drop it so that the
        # operands that follow are found.
        rest = re.sub(r"(\w+)\((%[\w.]+)\s*:\s*tensor<[^>]*>\)", r"\1(\2)", rest)
        # So is a weight list's in `weights(%a, %b : tensor<...>, ...)`.
        rest = re.sub(r"weights\(([^):]*):[^)]*\)", r"weights(\1)", rest)
        head = rest.split("{")[0].split(":")[0]
        d["operands"] = re.findall(r"%[\w.]+", head)
        d["attrs"] = parse_attrs(rest)
        d["has_initial"] = "initial(" in head
        d["has_mask"] = "mask(" in head
        d["keywords"] = dict(re.findall(r"(\w+)\((%[\w.]+)\)", head))
        w = re.search(r"weights\(([^)]*)\)", head)
        d["weights"] = re.findall(r"%[\w.]+", w.group(1)) if w else []
        m = re.search(r"permutation\s*=\s*array<i64:([^>]*)>", rest)
        if m:
            d["attrs"]["permutation"] = [int(v) for v in m.group(1).split(",")]
        m = re.search(r"nonlinearity\s*=\s*(\w+)", rest.split(":")[0])
        if m:
            d["attrs"]["nonlinearity"] = m.group(1)
        m = re.search(r"approximate\s*=\s*(\w+)", rest.split(":")[0])
        if m:
            d["attrs"]["approximate"] = m.group(1)
        if "->" in rest:
            d["shape"], _ = parse_type(rest.split("->")[-1])
        return d

    def run(self, values):
        """Evaluates every op; `values` maps input/param names to tensors."""
        env = {}
        for o in self.ops:
            op, a = o["op"], [env[x] for x in o.get("operands", [])]
            at = o.get("attrs", {})
            if op in ("input", "param"):
                r = values[o["name"]]
            elif op == "linear":
                r = F.linear(*a)
            elif op == "matmul":
                x, y = a
                if "transpose_lhs" in at:
                    x = x.transpose(-1, -2)
                if "transpose_rhs" in at:
                    y = y.transpose(-1, -2)
                r = torch.matmul(x, y)
            elif op == "add":
                r = a[0] + a[1]
            elif op == "sub":
                r = a[0] - a[1]
            elif op == "mul":
                r = a[0] * a[1]
            elif op == "neg":
                r = -a[0]
            elif op == "relu":
                r = F.relu(a[0])
            elif op == "leaky_relu":
                r = F.leaky_relu(a[0], float(at.get("negative_slope", 0.01)))
            elif op == "sigmoid":
                r = torch.sigmoid(a[0])
            elif op == "tanh":
                r = torch.tanh(a[0])
            elif op == "gelu":
                r = F.gelu(a[0], approximate=at.get("approximate", "none"))
            elif op == "softmax":
                r = F.softmax(a[0], dim=int(at.get("axis", -1)))
            elif op == "log_softmax":
                r = F.log_softmax(a[0], dim=int(at.get("axis", -1)))
            elif op == "mse":
                r = F.mse_loss(a[0], a[1])
            elif op == "binary_cross_entropy":
                r = F.binary_cross_entropy_with_logits(a[0], a[1])
            elif op == "cross_entropy":
                c = a[0].shape[-1]
                ignore = int(at.get("ignore_index", -100))
                r = F.cross_entropy(a[0].reshape(-1, c), a[1].reshape(-1),
                                    ignore_index=ignore)
            elif op == "reduce":
                r = reduce(o["kind"], a, int(at["axis"]), o["shape"])
            elif op == "slice":
                axis = int(at["axis"])
                size = a[0].shape[axis]
                start = int(at["start"]) % size
                r = a[0].narrow(axis, start, o["shape"][axis])
            elif op == "select":
                r = a[0].select(int(at["axis"]), int(at["index"]))
            elif op == "concat":
                r = torch.cat(a, int(at["axis"]))
            elif op == "reshape":
                r = a[0].reshape(o["shape"])
            elif op == "sum_to":
                x, shape = a[0], o["shape"]
                lead = x.dim() - len(shape)
                dims = list(range(lead)) + [lead + i for i, s in enumerate(shape)
                                            if s == 1 and x.shape[lead + i] != 1]
                r = x.sum(dim=dims, keepdim=True) if dims else x
                r = r.reshape(shape)
            elif op == "fill":
                r = torch.full(o["shape"], o["value"])
            elif op == "transpose":
                r = a[0].permute(at["permutation"]).contiguous()
            elif op == "embedding":
                pad = at.get("padding_idx")
                r = F.embedding(a[0], a[1], padding_idx=int(pad) if pad else None)
            elif op == "dropout":
                if float(at["p"]) != 0:
                    raise NotImplementedError("the oracle evaluates dropout only at p = 0")
                r = a[0]
            elif op == "layer_norm":
                kw = {k: env[v] for k, v in o["keywords"].items()}
                w, b = kw.get("weight"), kw.get("bias")
                like = w if w is not None else b
                dims = (list(like.shape) if like is not None else
                        list(a[0].shape[-int(at.get("normalized_dims", 1)):]))
                r = F.layer_norm(a[0], dims, w, b, float(at.get("eps", 1e-5)))
            elif op == "attention":
                mask = o["keywords"].get("key_padding_mask")
                r = attention(a[0], a[1], a[2], env[mask] if mask else None,
                              int(at["heads"]), "causal" in at,
                              float(at["scale"]) if "scale" in at else None)
            elif op == "multihead_attention":
                mask = o["keywords"].get("key_padding_mask")
                r = multihead_attention(a[0], a[1], a[2], env[mask] if mask else None,
                                        [env[w] for w in o["weights"]], int(at["heads"]),
                                        "causal" in at, float(at.get("dropout", 0)))
            elif op in ("additive_attention", "multiplicative_attention"):
                mask = o["keywords"].get("key_padding_mask")
                fn = additive_attention if op == "additive_attention" else multiplicative_attention
                r = fn(a[0], a[1], a[2], env[mask] if mask else None,
                       [env[w] for w in o["weights"]],
                       float(at["scale"]) if "scale" in at else None)
            elif op == "arange":
                r = torch.arange(o["shape"][0])
            elif op == "sinusoidal_positions":
                r = sinusoidal_positions(*o["shape"])
            elif op in _RECURRENT:
                r = recurrent(op, a, at, o["has_initial"], o["has_mask"])
            else:
                raise NotImplementedError("oracle has no rule for nn." + op)
            if len(o["results"]) > 1:
                for name, value in zip(o["results"], r):
                    env[name] = value
            else:
                env[o["result"]] = r
        return env

    def torch_optimizer(self, params, names=None):
        """torch.optim for `params` (a list, or with `names` their state_dict
        names, which the parameter groups need)."""
        kind, f = self.optimizer
        wd = f.get("weight_decay", 0.01 if kind == "adamw" else 0.0)
        groups = [{"params": list(params), "weight_decay": wd}]
        if names is not None:
            info = {p["name"]: p for p in self.params}
            decays = [not info[n]["no_weight_decay"] and
                      (self.decay == "all" or len(info[n]["shape"]) >= 2) for n in names]
            groups = [{"params": [p for p, d in zip(params, decays) if d], "weight_decay": wd},
                      {"params": [p for p, d in zip(params, decays) if not d],
                       "weight_decay": 0.0}]
            groups = [g for g in groups if g["params"]]
        if kind == "sgd":
            return torch.optim.SGD(groups, lr=f["lr"], momentum=f.get("momentum", 0.0),
                                   dampening=f.get("dampening", 0.0),
                                   nesterov=f.get("nesterov", False))
        betas = (f.get("beta1", 0.9), f.get("beta2", 0.999))
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls(groups, lr=f["lr"], betas=betas, eps=f.get("eps", 1e-8))

    def lr_at(self, it):
        """The learning rate at step `it` (from 0): nanoGPT's get_lr for
        warmup_cosine, StepLR's for step_lr."""
        lr = self.optimizer[1]["lr"]
        if self.schedule is None:
            return lr
        kind, f = self.schedule
        warmup = int(f.get("warmup", 0))
        if it < warmup:
            return lr * (it + 1) / (warmup + 1)
        if kind == "warmup_cosine":
            decay, min_lr = int(f["decay_steps"]), f.get("min_lr", 0.0)
            if it > decay:
                return min_lr
            ratio = (it - warmup) / (decay - warmup)
            return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)
        return lr * f.get("gamma", 0.1) ** ((it - warmup) // int(f["step_size"]))

    def train_step(self, opt, it, params, loss):
        """One step as a trainer does it: backward, clipping, schedule,
        update."""
        opt.zero_grad()
        loss.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(params, self.clip)
        for g in opt.param_groups:
            g["lr"] = self.lr_at(it)
        opt.step()
