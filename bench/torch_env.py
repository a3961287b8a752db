"""The PyTorch side of a benchmark runs as ../shared/bench/ref_models.py
runs it: OpenBLAS (OpenMP build) first on the loader path and the thread
count set in every library. `blas` takes ref_models.py's two OpenBLAS
names: "openblas" unsets OPENBLAS_CORETYPE (OpenBLAS picks its kernels
for the CPU it detects), "openblas-haswell" sets it to Haswell (the AVX2
kernels)."""
import os
import sys

LIB = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
CORETYPES = {"openblas": None, "openblas-haswell": "Haswell"}


def reexec_for_torch(threads, blas="openblas"):
    """Restarts the interpreter once with that environment. Call it before
    importing torch: the loader reads LD_LIBRARY_PATH only at start-up."""
    marker = f"{blas}/{threads}"
    if os.environ.get("NNGC_BENCH_ENV") == marker:
        return
    env = dict(os.environ, NNGC_BENCH_ENV=marker,
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=LIB + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    if CORETYPES[blas] is None:
        env.pop("OPENBLAS_CORETYPE", None)
    else:
        env["OPENBLAS_CORETYPE"] = CORETYPES[blas]
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
