"""Translation: the seq2seq trainer's decoding, BLEU, split and resume
against PyTorch and an independent Python BLEU (translate.test)."""
import collections
import json
import os
import re
import subprocess
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

nngc, data, examples, work = sys.argv[1:5]
sys.path.insert(0, os.path.join(examples, "..", "bench"))
from translate_text import bleu, read, tokens  # noqa: E402

B, S, T, SV, TV, E, H = 8, 8, 12, 300, 400, 16, 32


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def ok(c):
    return "ok" if c else "FAIL"


def small_model():
    G = 3 * H
    gru = lambda p: "".join(  # noqa: E731
        f'  %{p}_{k} = nn.param "{p}.{k}_l0" init(uniform, -0.2, 0.2) : tensor<{sh}xf32>\n'
        for k, sh in [("weight_ih", f"{G}x{E}"), ("weight_hh", f"{G}x{H}"),
                      ("bias_ih", f"{G}"), ("bias_hh", f"{G}")])
    gt = f"tensor<{G}x{E}xf32>, tensor<{G}x{H}xf32>, tensor<{G}xf32>, tensor<{G}xf32>"
    return f"""nn.model @s2s_small {{
  %src = nn.input "src" : tensor<{B}x{S}xi64>
  %src_mask = nn.input "src_mask" : tensor<{B}x{S}x1xf32>
  %tgt_in = nn.input "tgt_in" : tensor<{B}x{T}xi64>
  %tgt_out = nn.input "tgt_out" : tensor<{B}x{T}xi64>
  %se = nn.param "src_embed.weight" init(normal) : tensor<{SV}x{E}xf32>
  %te = nn.param "tgt_embed.weight" init(normal) : tensor<{TV}x{E}xf32>
{gru("encoder")}{gru("decoder")}  %wa = nn.param "attn.Wa.weight" init(uniform, -0.2, 0.2) : tensor<{H}x{H}xf32>
  %wc = nn.param "combine.weight" init(uniform, -0.2, 0.2) : tensor<{H}x{2 * H}xf32>
  %bc = nn.param "combine.bias" init(zeros) : tensor<{H}xf32>
  %wo = nn.param "out.weight" init(uniform, -0.2, 0.2) : tensor<{TV}x{H}xf32>
  %bo = nn.param "out.bias" init(zeros) : tensor<{TV}xf32>
  %xs = nn.embedding %src, %se {{padding_idx = 0}} : tensor<{B}x{S}xi64>, tensor<{SV}x{E}xf32>
  %enc, %eh = nn.gru %xs mask(%src_mask : tensor<{B}x{S}x1xf32>) weights(%encoder_weight_ih, %encoder_weight_hh, %encoder_bias_ih, %encoder_bias_hh) {{batch_first}} : tensor<{B}x{S}x{E}xf32> weights({gt}) -> tensor<{B}x{S}x{H}xf32>, tensor<1x{B}x{H}xf32>
  %xt = nn.embedding %tgt_in, %te {{padding_idx = 0}} : tensor<{B}x{T}xi64>, tensor<{TV}x{E}xf32>
  %dec, %dh = nn.gru %xt initial(%eh) weights(%decoder_weight_ih, %decoder_weight_hh, %decoder_bias_ih, %decoder_bias_hh) {{batch_first}} : tensor<{B}x{T}x{E}xf32> initial(tensor<1x{B}x{H}xf32>) weights({gt}) -> tensor<{B}x{T}x{H}xf32>, tensor<1x{B}x{H}xf32>
  %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%src_mask : tensor<{B}x{S}x1xf32>) weights(%wa : tensor<{H}x{H}xf32>) : tensor<{B}x{T}x{H}xf32>, tensor<{B}x{S}x{H}xf32>, tensor<{B}x{S}x{H}xf32> -> tensor<{B}x{T}x{H}xf32>
  %cat = nn.concat %ctx, %dec {{axis = 2}} : tensor<{B}x{T}x{H}xf32>, tensor<{B}x{T}x{H}xf32> -> tensor<{B}x{T}x{2 * H}xf32>
  %c = nn.linear %cat, %wc, %bc : tensor<{B}x{T}x{2 * H}xf32>, tensor<{H}x{2 * H}xf32>, tensor<{H}xf32>
  %h = nn.tanh %c : tensor<{B}x{T}x{H}xf32>
  %logits = nn.linear %h, %wo, %bo : tensor<{B}x{T}x{H}xf32>, tensor<{TV}x{H}xf32>, tensor<{TV}xf32>
  %loss = nn.cross_entropy %logits, %tgt_out {{ignore_index = 0}} : tensor<{B}x{T}x{TV}xf32>, tensor<{B}x{T}xi64>
  nn.output "logits" %logits : tensor<{B}x{T}x{TV}xf32>
  nn.minimize %loss with #nn.adam<lr = 3.0e-3>
}}
"""


def compile_model(name, text=None, path=None):
    if text is not None:
        path = os.path.join(work, name + ".mlir")
        with open(path, "w") as f:
            f.write(text)
    exe = os.path.join(work, name)
    subprocess.run([nngc, "compile", path, "-o", exe], check=True)
    return exe


exe = compile_model("s2s_small", small_model())
ckpt, log = os.path.join(work, "s.safetensors"), os.path.join(work, "s.jsonl")
out = run([exe, "train", "--data", data, "--epochs", "2", "--save", ckpt, "--log", log,
           "--threads", "2"])
print(out.splitlines()[0])
print(out.splitlines()[1])
last = [json.loads(x) for x in open(log)][-1]
info = run([exe, "info"])
print("info: entry points with encode; the decoder's state starts from an encoded value:",
      ok("entry points predict eval grad train step encode" in info and
         re.search(r"rnn0.h_n -> rnn0.h0 \[1, 8, \d+\] \(from encoded.\d\)", info) and
         "encode       the source side once per batch" in info))


# The pairs, normalised as the trainer does (bench/translate_text.py).
pairs = read(data)
meta = safetensors_io.load_metadata(ckpt)
src_vocab = json.loads(meta["nngc.src_vocab"])
tgt_vocab = json.loads(meta["nngc.tgt_vocab"])
sidx = {w: i for i, w in enumerate(src_vocab)}
# Every distinct source (train's split is its own business; eval's figures
# are checked against train's records below).
sources = list(dict.fromkeys(p[0] for p in pairs))

p = safetensors_io.load(ckpt)
W = {k: torch.from_numpy(v.copy()) for k, v in p.items()}


def gru_weights(prefix):
    g = torch.nn.GRU(E, H, batch_first=True)
    with torch.no_grad():
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(g, k + "_l0").copy_(W[f"{prefix}.{k}_l0"])
    return g


enc_gru, dec_gru = gru_weights("encoder"), gru_weights("decoder")


def torch_greedy(texts):
    ids = [[sidx.get(w, 1) for w in tokens(t)][:S] for t in texts]
    lengths = torch.tensor([len(i) for i in ids])
    src = torch.zeros(len(ids), S, dtype=torch.long)
    for r, i in enumerate(ids):
        src[r, :len(i)] = torch.tensor(i)
    mask = (torch.arange(S)[None, :] < lengths[:, None])
    with torch.no_grad():
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            F.embedding(src, W["src_embed.weight"]), lengths, batch_first=True,
            enforce_sorted=False)
        enc, eh = enc_gru(packed)
        enc, _ = torch.nn.utils.rnn.pad_packed_sequence(enc, batch_first=True, total_length=S)
        keys = F.linear(enc, W["attn.Wa.weight"])
        tgt = torch.zeros(len(ids), T, dtype=torch.long)
        tgt[:, 0] = 2  # <bos>
        out = [[] for _ in ids]
        done = [False] * len(ids)
        for t in range(T):
            dec, _ = dec_gru(F.embedding(tgt, W["tgt_embed.weight"]), eh)
            s = torch.bmm(dec, keys.transpose(1, 2)).masked_fill(~mask[:, None, :], float("-inf"))
            ctx = torch.bmm(F.softmax(s, -1), enc)
            h = torch.tanh(F.linear(torch.cat([ctx, dec], 2), W["combine.weight"],
                                    W["combine.bias"]))
            logits = F.linear(h, W["out.weight"], W["out.bias"])
            nxt = logits[:, t].argmax(-1)
            for r in range(len(ids)):
                if done[r]:
                    continue
                if int(nxt[r]) == 3:  # <eos>
                    done[r] = True
                    continue
                out[r].append(tgt_vocab[int(nxt[r])])
                if t + 1 < T:
                    tgt[r, t + 1] = nxt[r]
    return out


src_file = os.path.join(work, "sources.txt")
with open(src_file, "w", encoding="utf-8") as f:
    f.write("\n".join(sources) + "\n")
theirs = torch_greedy(sources)  # vocabulary tokens ("<unk>" is one)
# --decode step (the default here): the encode entry point once per batch,
# then the step entry point once per token; --decode full reruns the model
# on the prefix per position.
for mode in ("step", "full"):
    out = [tokens(x) for x in run([exe, "translate", "--checkpoint", ckpt, "--data", src_file,
                                   "--decode", mode]).splitlines()]
    same = sum(a == tokens(" ".join(b)) for a, b in zip(out, theirs))
    print(f"greedy translations of {len(sources)} sources, --decode {mode}, equal torch's:",
          ok(len(out) == len(sources) and same == len(sources)))
    if mode == "step":
        ours = out
ev = run([exe, "eval", "--checkpoint", ckpt, "--data", data])

# BLEU and exact match over every distinct source (--val-split 0), both in
# C++ (eval) and here, on the translations above.
refs = collections.defaultdict(list)
for a, b in pairs:
    refs[a].append(tokens(b))


# On the same tokens as the trainer's BLEU: the vocabulary's (the outputs
# were just shown to be nngc's).
py_bleu = bleu(theirs, [refs[s] for s in sources])
py_exact = sum(o in refs[s] for o, s in zip(theirs, sources)) / len(sources)
ev_all = run([exe, "eval", "--checkpoint", ckpt, "--data", data, "--val-split", "0"])
m = re.search(r"BLEU ([0-9.]+)  exact ([0-9.]+)%", ev_all)
print(f"BLEU {100 * py_bleu:.2f} and exact match {100 * py_exact:.1f}% equal the Python "
      "computation:", ok(m and abs(float(m.group(1)) - 100 * py_bleu) < 0.006 and
                         abs(float(m.group(2)) - 100 * py_exact) < 0.06))

m = re.search(r"loss ([0-9.]+)  BLEU ([0-9.]+)  exact ([0-9.]+)%", ev)
print("eval reproduces train's last record:",
      ok(m and abs(float(m.group(1)) - last["val_loss"]) < 6e-5 and
         abs(float(m.group(2)) - 100 * last["val_bleu"]) < 0.006))

beam1 = run([exe, "translate", "--checkpoint", ckpt, "--data", src_file, "--beam", "1"])
print("beam 1 equals greedy:", ok([tokens(x) for x in beam1.splitlines()] == ours))
few = sources[:40]
with open(os.path.join(work, "few.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(few) + "\n")
beam4 = run([exe, "translate", "--checkpoint", ckpt, "--data", os.path.join(work, "few.txt"),
             "--beam", "4"]).splitlines()
print("beam 4 translates every source:", ok(len(beam4) == len(few) and all(beam4)))
# The step decoder's beam search carries each hypothesis's GRU state and
# reorders the rows as hypotheses are dropped and extended; the full
# decoder has no state to reorder. 2 sources per batch of 8 rows.
beam_src = os.path.join(work, "beam.txt")
with open(beam_src, "w", encoding="utf-8") as f:
    f.write("\n".join(sources[:300]) + "\n")
beams = {mode: run([exe, "translate", "--checkpoint", ckpt, "--data", beam_src, "--beam", "4",
                    "--decode", mode]).splitlines() for mode in ("step", "full")}
print("beam 4, 300 sources: --decode step equals --decode full:",
      ok(len(beams["step"]) == 300 and beams["step"] == beams["full"]))

# Resume: 1 epoch, stop, 1 more == 2 epochs straight.
straight, resumed = os.path.join(work, "a.jsonl"), os.path.join(work, "b.jsonl")
r = os.path.join(work, "r.safetensors")
common = [exe, "train", "--data", data, "--threads", "2"]
run(common + ["--epochs", "2", "--log", straight])
run(common + ["--epochs", "1", "--log", resumed, "--save", r])
run(common + ["--epochs", "2", "--log", resumed, "--resume", r])
losses = lambda p: [json.loads(x)["train_loss"] for x in open(p)]  # noqa: E731
print("resumed run logs the same losses:",
      ok(losses(straight) == losses(resumed) and len(losses(straight)) == 2))


def fails(label, cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    err = p.stderr.strip().splitlines()
    print(f"{label}: exit {p.returncode}, {err[-1] if err else ''}")


bad = os.path.join(work, "bad.txt")
with open(bad, "w") as f:
    f.write("Go.\tVa !\nno tab here\n")
fails("no tab", [exe, "train", "--data", bad])
fails("nothing to translate", [exe, "translate", "--checkpoint", ckpt])
fails("bad --decode", [exe, "translate", "--checkpoint", ckpt, "--text", "go.",
                       "--decode", "window"])
novocab = os.path.join(work, "novocab.safetensors")
safetensors_io.save(novocab, p)
fails("no vocabularies", [exe, "translate", "--checkpoint", novocab, "--text", "go."])
