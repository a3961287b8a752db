#!/usr/bin/env python3
"""gpt_small (../shared/bench/ref_models.py's nanoGPT) on the GPU in PyTorch:
tokens/s and MFU of training steps (forward, backward, AdamW) for fp32,
tf32 and bf16 (autocast), eager and torch.compile. One JSON line per run.

MFU counts the model's training FLOPs (6 N per token for the parameters
plus the attention products, as ref_models.py's gpt FLOP count) over the
GPU's dense peak for the precision (--peak-tflops, e.g. H100 SXM: fp32 67,
tf32 495, bf16 989; H200 the same).
"""
import argparse
import json
import os
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ref", default=os.path.join(os.path.dirname(__file__),
                                                 "..", "..", "..", "shared",
                                                 "bench", "ref_models.py"))
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--precision", default="fp32,tf32,bf16")
    p.add_argument("--modes", default="eager,compile")
    p.add_argument("--peak-tflops", default="fp32=67,tf32=495,bf16=989")
    a = p.parse_args()
    import torch
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch sees no CUDA device"}))
        return 1
    sys.path.insert(0, os.path.dirname(os.path.abspath(a.ref)))
    import ref_models
    cfg = ref_models.GPT_CONFIGS["gpt_small"] if hasattr(
        ref_models, "GPT_CONFIGS") else dict(n_layer=6, n_head=6, n_embd=384,
                                             block_size=256, batch=64)
    B, T = cfg["batch"], cfg["block_size"]
    peaks = dict(kv.split("=") for kv in a.peak_tflops.split(","))
    for precision in a.precision.split(","):
        for mode in a.modes.split(","):
            torch.manual_seed(0)
            torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
            torch.backends.cudnn.allow_tf32 = precision == "tf32"
            model = ref_models.GPT(65, cfg["n_layer"], cfg["n_head"],
                                   cfg["n_embd"], T, 0.0).cuda()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            step_model = torch.compile(model) if mode == "compile" else model
            x = torch.randint(0, 65, (B, T), device="cuda")
            y = torch.randint(0, 65, (B, T), device="cuda")

            def step():
                with torch.autocast("cuda", dtype=torch.bfloat16,
                                    enabled=precision == "bf16"):
                    logits = step_model(x)
                    loss = torch.nn.functional.cross_entropy(
                        logits.view(-1, 65).float(), y.view(-1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                return loss

            for _ in range(a.warmup):
                step()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(a.steps):
                loss = step()
            torch.cuda.synchronize()
            dt = (time.perf_counter() - t0) / a.steps
            n = sum(p.numel() for p in model.parameters())
            L, C = cfg["n_layer"], cfg["n_embd"]
            flops = 6 * n * B * T + 12 * L * B * T * T * C
            print(json.dumps({
                "impl": "torch-" + mode, "precision": precision,
                "tokens_per_s": B * T / dt, "step_ms": dt * 1e3,
                "mfu": flops / dt / (float(peaks[precision]) * 1e12),
                "loss": float(loss), "torch": torch.__version__,
                "device": torch.cuda.get_device_name(0)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
