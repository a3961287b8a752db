"""The PyTorch side of a benchmark runs as ../shared/bench/ref_models.py's
default does: OpenBLAS (OpenMP build) first on the loader path,
OPENBLAS_CORETYPE unset, and the thread count set in every library."""
import os
import sys

LIB = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def reexec_for_torch(threads):
    """Restarts the interpreter once with that environment. Call it before
    importing torch: the loader reads LD_LIBRARY_PATH only at start-up."""
    if os.environ.get("NNGC_BENCH_ENV") == str(threads):
        return
    env = dict(os.environ, NNGC_BENCH_ENV=str(threads),
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=LIB + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    env.pop("OPENBLAS_CORETYPE", None)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
