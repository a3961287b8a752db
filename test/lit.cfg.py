# -*- Python -*-
"""lit configuration of nngc's regression tests (test/ mirrors lib/)."""
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "nngc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nngc_obj_root, "test")
config.excludes = ["Unit", "Inputs", "e2e/nn_torch.py", "e2e/oracle.py", "interrupt.test.py", "resume.test.py", "determinism.test.py", "distributed.test.py", "plot.test.py", "ux.test.py",
                   "e2e/safetensors_io.py", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]

# A test that hangs fails after 10 minutes instead of stalling the suite
# (lit needs psutil for this: scripts/setup.sh installs python3-psutil).
try:
    import psutil  # noqa: F401
    lit_config.maxIndividualTestTime = 600
except ImportError:
    lit_config.warning("psutil is missing: tests run without a time limit")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.nngc_tools_dir, append_path=True)
for var in ("HOME", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# lit runs as many tests at once as there are cores, and most of them run
# multi-threaded trainers and PyTorch: more OpenMP threads than cores. With
# libgomp's default (spin before sleeping) a thread waiting at a barrier
# holds a core the other process needs, and small-op models slow down by
# 10-60x (the translation trainer: 1 s alone, 4-60 s beside a second copy;
# docs/Trainer.md, "Threads"). Sleeping at once costs them 2x alone but
# nothing beside another job, which is the test suite's situation.
for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    config.environment["OMP_WAIT_POLICY"] = "passive"

config.substitutions.append(("%nngc_src", config.nngc_src_root))
config.substitutions.append(("%nngc_obj", config.nngc_obj_root))
config.substitutions.append(("%sklearn_data",
                             "/usr/lib/python3/dist-packages/sklearn/datasets/data"))
statsmodels_data = "/usr/lib/python3/dist-packages/statsmodels/datasets"
config.substitutions.append(("%statsmodels_data", statsmodels_data))
# Debian's python3 (with torch); lit's own %python is whatever runs lit.
config.substitutions.append(("%py3", "/usr/bin/python3"))
# Real datasets for tests live beside the checkout (../shared/data), never in
# it.
shared_data = os.path.normpath(os.path.join(config.nngc_src_root, "..", "shared", "data"))
config.substitutions.append(("%shared_data", shared_data))
if os.path.isfile(os.path.join(shared_data, "tinyshakespeare.txt")):
    config.available_features.add("shared-data")
# A sanitizer build's RSS carries its shadow memory: the memory
# accounting test does not apply there.
if not getattr(config, "nngc_sanitize", ""):
    config.available_features.add("unsanitized")
config.substitutions.append(("%oracle", "/usr/bin/python3 " + os.path.join(
    config.nngc_src_root, "test", "e2e", "oracle.py") + " --nngc " +
    os.path.join(config.nngc_tools_dir, "nngc")))

# Features, so that `check-nngc` passes anywhere and says what it skipped.
def has_torch():
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import torch, numpy"],
                       check=True, capture_output=True, timeout=120)
        return True
    except Exception:
        return False

if has_torch():
    config.available_features.add("torch")
if os.path.isdir("/usr/lib/python3/dist-packages/sklearn/datasets/data"):
    config.available_features.add("sklearn-data")
if os.path.isfile(os.path.join(statsmodels_data, "sunspots", "sunspots.csv")):
    config.available_features.add("statsmodels-data")
if shutil.which("chromium"):
    config.available_features.add("chromium")
# nngc built with MPI (--distributed=mpi) and a launcher to run it.
if getattr(config, "nngc_mpi", "") in ("TRUE", "ON", "1") and shutil.which("mpirun"):
    config.available_features.add("mpi")
# nngc built with cuda.h and cublasLt.h: it links CUDA trainers
# (libnngc_cuda.a). Without them, the CUDA trainer tests say so.
if getattr(config, "nngc_cuda_runtime", "") in ("TRUE", "ON", "1"):
    config.available_features.add("cuda-runtime")
else:
    lit_config.note("nngc was built without cuda.h/cublasLt.h: the CUDA "
                    "trainer tests (feature cuda-runtime) are skipped")
# The CUDA kernels compiled for the host, for the fake driver's emulator
# (test/e2e/cuda-emulated.test): mlir-translate and clang.
mlir_translate = shutil.which("mlir-translate-19") or shutil.which(
    "mlir-translate", path="/usr/lib/llvm-19/bin")
host_cc = shutil.which("clang-19") or shutil.which("clang")
if mlir_translate and host_cc:
    config.available_features.add("cuda-emulator")
    config.substitutions.append(("%mlir_translate", mlir_translate))
    config.substitutions.append(("%host_cc", host_cc))
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

llvm_config.add_tool_substitutions(["nngc", "nngc-opt"], [config.nngc_tools_dir])
