//===- nngc.cpp - the nngc compiler driver --------------------------------===//
//
//   nngc compile model.mlir -o trainer [--emit=nn|mlir|llvm|obj|exe] [-O2]
//                [--report[=json]]
//
// Parses the command line (Boost.Program_options) and calls the driver
// library; MLIR's --mlir-* debugging options are passed through.
//
//===----------------------------------------------------------------------===//

#include "nngc/Driver/Driver.h"

#include "llvm/ADT/StringRef.h"

#include <boost/program_options.hpp>

#include <cctype>
#include <iostream>
#include <optional>

namespace po = boost::program_options;

static const char *kUsage =
    "usage: nngc compile MODEL.mlir -o OUTPUT [options]\n"
    "\n"
    "Compiles a model written in the nn dialect into a standalone training\n"
    "executable (see docs/Tutorial.md). Options:\n";

/// "1.5G", "800M", "64K", "1000000" (K, M, G: powers of 1024; an optional
/// "iB" or "B" after them).
static std::optional<int64_t> parseSize(const std::string &text) {
  size_t end = 0;
  double value;
  try {
    value = std::stod(text, &end);
  } catch (const std::exception &) {
    return std::nullopt;
  }
  std::string unit = text.substr(end);
  double scale = 1;
  if (!unit.empty()) {
    char c = std::toupper(unit[0]);
    scale = c == 'K'   ? 1024.0
            : c == 'M' ? 1048576.0
            : c == 'G' ? 1073741824.0
                       : 0;
    std::string rest = unit.substr(1);
    if (c == 'B' && rest.empty())
      scale = 1;
    else if (scale == 0 || !(rest.empty() || rest == "B" || rest == "iB"))
      return std::nullopt;
  }
  return static_cast<int64_t>(value * scale);
}

int main(int argc, char **argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" ||
      std::string(argv[1]) == "-h") {
    std::cout << kUsage << "  nngc compile --help\n";
    return argc < 2 ? 1 : 0;
  }
  if (std::string(argv[1]) != "compile") {
    std::cerr << "nngc: unknown command '" << argv[1]
              << "' (the only command is 'compile')\n";
    return 1;
  }
  nngc::CompileOptions options;
  std::string emit = "exe", cpu, report, maxMemory, distributed = "none",
              bucketSize = "1M", precision = "fp32";
  unsigned opt = 2;
  po::options_description desc;
  desc.add_options()("help,h", "show this help")(
      "output,o", po::value(&options.output), "output file (- for stdout)")(
      "emit", po::value(&emit)->default_value("exe"),
      "what to write: nn (training graph), mlir (LLVM dialect), llvm (LLVM "
      "IR), obj (object file), exe (trainer executable), ptx (the GPU "
      "kernels, with --target=cuda)")(
      "target", po::value(&options.target)->default_value("cpu"),
      "cpu, or cuda (a GPU trainer: kernels through MLIR's NVVM path, "
      "products in cuBLASLt; docs/CUDA.md)")(
      "gpu-arch", po::value(&options.pipeline.gpuArch)->default_value("sm_80"),
      "with --target=cuda: the GPU architecture, sm_80 or later")(
      "opt-level,O", po::value(&opt)->default_value(2),
      "optimisation level 0-3: -O0 no nn optimisations, -O1 in-place "
      "memory plan, -O2 (and -O3) also nngc-fuse; the LLVM level is the "
      "same number")(
      "mcpu", po::value(&cpu),
      "target CPU for the generated code (default generic x86-64; 'native')")(
      "no-memory-reuse", "give every tensor its own arena memory")(
      "report", po::value(&report)->implicit_value("text"),
      "print what the training step costs (parameters, FLOPs, kernels, "
      "memory plan, each buffer's lifetime): --report or --report=json")(
      "report-file", po::value(&options.reportFile),
      "write the report here instead of stdout")(
      "max-memory", po::value(&maxMemory),
      "recompute activations so that a training step's planned memory fits "
      "SIZE (bytes, or with K, M or G: KiB, MiB, GiB)")(
      "distributed", po::value(&distributed)->default_value("none"),
      "data-parallel training: mpi (run the trainer under mpirun; gradients "
      "averaged across ranks, overlapped with the backward pass) or none; "
      "nccl (across GPUs) is not built yet")(
      "precision", po::value(&precision)->default_value("fp32"),
      "with --target=cuda: the products' arithmetic: fp32, tf32 or bf16 "
      "(TF32 or bf16 tensor cores: inputs rounded, fp32 accumulation; "
      "activations, weights and optimizer state stay fp32)")(
      "bucket-size", po::value(&bucketSize)->default_value("1M"),
      "with --distributed: gradients per all-reduce (a size, as "
      "--max-memory's)")("runtime-dir", po::value(&options.runtimeDir),
                         "folder holding libnngc_trainer.a")(
      "linker", po::value(&options.linker)->default_value("c++"),
      "C++ compiler driver used to link")("timings",
                                          "print the time of each phase")(
      "input", po::value(&options.input), "the model (.mlir)");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  std::vector<std::string> unrecognized;
  try {
    auto parsed = po::command_line_parser(argc - 1, argv + 1)
                      .options(desc)
                      .positional(positional)
                      .allow_unregistered()
                      .run();
    po::store(parsed, vm);
    po::notify(vm);
    unrecognized =
        po::collect_unrecognized(parsed.options, po::exclude_positional);
  } catch (const po::error &e) {
    std::cerr << "nngc: " << e.what() << "\n";
    return 1;
  }
  if (vm.count("help")) {
    std::cout << kUsage << desc << "\nMLIR debugging options (e.g. "
              << "--mlir-print-ir-after-all) are passed through.\n";
    return 0;
  }
  for (const std::string &u : unrecognized) {
    if (u.rfind("--mlir-", 0) != 0) {
      std::cerr << "nngc: unknown option '" << u << "' (see nngc compile "
                << "--help)\n";
      return 1;
    }
    options.mlirOptions.push_back(u);
  }
  if (options.input.empty()) {
    std::cerr << "nngc: no input model (see nngc compile --help)\n";
    return 1;
  }
  static const std::pair<const char *, nngc::EmitStage> kStages[] = {
      {"nn", nngc::EmitStage::NN},          {"mlir", nngc::EmitStage::MLIR},
      {"llvm", nngc::EmitStage::LLVM},      {"obj", nngc::EmitStage::Object},
      {"exe", nngc::EmitStage::Executable}, {"ptx", nngc::EmitStage::PTX}};
  bool known = false;
  for (auto &[name, stage] : kStages)
    if (emit == name)
      options.emit = stage, known = true;
  if (!known) {
    std::cerr << "nngc: --emit must be nn, mlir, llvm, obj, exe or ptx\n";
    return 1;
  }
  if (options.target != "cpu" && options.target != "cuda") {
    std::cerr << "nngc: --target must be cpu or cuda, not '" << options.target
              << "'\n";
    return 1;
  }
  if (options.target == "cuda") {
    llvm::StringRef arch = options.pipeline.gpuArch;
    unsigned sm = 0;
    if (!arch.consume_front("sm_") || arch.getAsInteger(10, sm) || sm < 80) {
      std::cerr << "nngc: --gpu-arch must be sm_80 or later (sm_80, sm_86, "
                   "sm_89, sm_90), not '"
                << options.pipeline.gpuArch << "'\n";
      return 1;
    }
    if (distributed == "mpi") {
      std::cerr << "nngc: --distributed=mpi averages host gradients: it "
                   "needs --target=cpu (NCCL for CUDA trainers is not built "
                   "yet, docs/CUDA.md)\n";
      return 1;
    }
    options.pipeline.target = "cuda";
    if (precision != "fp32" && precision != "tf32" && precision != "bf16") {
      std::cerr << "nngc: --precision must be fp32, tf32 or bf16, not '"
                << precision << "'\n";
      return 1;
    }
    options.pipeline.precision = precision;
  } else if (precision != "fp32") {
    std::cerr << "nngc: --precision applies to --target=cuda (the CPU "
                 "trainer computes in fp32)\n";
    return 1;
  } else if (options.emit == nngc::EmitStage::PTX) {
    std::cerr << "nngc: --emit=ptx needs --target=cuda\n";
    return 1;
  }
  if (opt > 3) {
    std::cerr << "nngc: -O must be 0 to 3\n";
    return 1;
  }
  if (options.output.empty()) {
    if (options.emit == nngc::EmitStage::Object ||
        options.emit == nngc::EmitStage::Executable) {
      std::cerr << "nngc: -o OUTPUT is required for --emit=" << emit << "\n";
      return 1;
    }
    options.output = "-";
  }
  if (!report.empty() && report != "text" && report != "json") {
    std::cerr << "nngc: --report must be text or json\n";
    return 1;
  }
  options.report = report;
  if (!maxMemory.empty()) {
    std::optional<int64_t> bytes = parseSize(maxMemory);
    if (!bytes || *bytes <= 0) {
      std::cerr << "nngc: --max-memory must be a size such as 800M or 1.5G, "
                   "not '"
                << maxMemory << "'\n";
      return 1;
    }
    options.pipeline.maxMemoryBytes = *bytes;
  }
  if (distributed == "nccl") {
    std::cerr << "nngc: --distributed=nccl (gradients averaged across GPUs) "
                 "is not built yet (docs/CUDA.md); use --distributed=mpi "
                 "with --target=cpu\n";
    return 1;
  }
  if (distributed != "mpi" && distributed != "none") {
    std::cerr << "nngc: --distributed must be mpi or none, not '" << distributed
              << "'\n";
    return 1;
  }
  if (distributed == "mpi") {
    std::optional<int64_t> bytes = parseSize(bucketSize);
    if (!bytes || *bytes <= 0) {
      std::cerr << "nngc: --bucket-size must be a size such as 1M, not '"
                << bucketSize << "'\n";
      return 1;
    }
    options.pipeline.distributedBucketBytes = *bytes;
  }
  options.codegen.optLevel = opt;
  options.pipeline.optLevel = std::min(opt, 2u);
  options.codegen.cpu = cpu;
  options.pipeline.reuseMemory = !vm.count("no-memory-reuse");
  options.timings = vm.count("timings") > 0;
  return static_cast<int>(nngc::compile(options));
}
