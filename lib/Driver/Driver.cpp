//===- Driver.cpp - `nngc compile` as a library ---------------------------===//

#include "nngc/Driver/Driver.h"
#include "nngc/Conversion/NNToGPU/NNToGPU.h"
#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Report.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;
using namespace nngc;

std::string nngc::defaultRuntimeDir() {
  if (const char *env = std::getenv("NNGC_RUNTIME_DIR"))
    return env;
  return NNGC_RUNTIME_LIB_DIR;
}

/// Writes `text` to `path` ("-" = stdout).
static ExitCode writeText(const std::string &path,
                          llvm::function_ref<void(llvm::raw_ostream &)> text) {
  std::string error;
  auto out = openOutputFile(path.empty() ? "-" : path, &error);
  if (!out) {
    llvm::errs() << "nngc: " << error << "\n";
    return ExitCode::EnvironmentError;
  }
  text(out->os());
  out->keep();
  return ExitCode::Success;
}

/// Writes the compile report of the model of `module` (not of the step or
/// encode model derived from it).
static ExitCode writeReport(ModuleOp module, const CompileOptions &options) {
  for (auto model : module.getOps<nn::ModelOp>()) {
    if (model->hasAttr("nngc.step_of") || model->hasAttr("nngc.encode_of"))
      continue;
    llvm::json::Object report = nn::buildReport(model, /*schedule=*/true);
    std::string text;
    if (options.report == "json")
      llvm::raw_string_ostream(text)
          << llvm::json::Value(std::move(report)) << "\n";
    else
      text = nn::renderReport(report);
    if (options.reportFile.empty() && options.output == "-") {
      llvm::errs() << text;
      continue;
    }
    std::string path = options.reportFile.empty() ? "-" : options.reportFile;
    if (ExitCode rc =
            writeText(path, [&](llvm::raw_ostream &os) { os << text; });
        rc != ExitCode::Success)
      return rc;
  }
  return ExitCode::Success;
}

/// Links `object` with the trainer runtime into the executable `output`.
static ExitCode link(const CompileOptions &options, StringRef object) {
  std::string runtimeDir =
      options.runtimeDir.empty() ? defaultRuntimeDir() : options.runtimeDir;
  std::string runtime = runtimeDir + "/libnngc_trainer.a";
  std::string cudaRuntime = runtimeDir + "/libnngc_cuda.a";
  bool cuda = options.target == "cuda";
  if (cuda && !llvm::sys::fs::exists(cudaRuntime)) {
    llvm::errs() << "nngc: the CUDA trainer runtime " << cudaRuntime
                 << " does not exist (set --runtime-dir or NNGC_RUNTIME_DIR)\n";
    return ExitCode::EnvironmentError;
  }
  if (!llvm::sys::fs::exists(runtime)) {
    llvm::errs() << "nngc: the trainer runtime " << runtime
                 << " does not exist (set --runtime-dir or NNGC_RUNTIME_DIR)\n";
    return ExitCode::EnvironmentError;
  }
  auto linker = llvm::sys::findProgramByName(options.linker);
  if (!linker) {
    llvm::errs() << "nngc: linker driver '" << options.linker
                 << "' not found on PATH\n";
    return ExitCode::EnvironmentError;
  }
  // libdnnl, zlib, libgomp and the C++ runtime are shared system libraries;
  // Boost.Program_options is linked in statically.
  SmallVector<StringRef> args = {*linker, "-o", options.output, object};
  // A data-parallel trainer: nngc's MPI runtime, whole (the trainer
  // runtime refers to it by a weak symbol, which pulls nothing out of an
  // archive), and the MPI library.
  std::string mpiRuntime = runtimeDir + "/libnngc_mpi.a";
  SmallVector<StringRef> mpiLibs;
  if (options.pipeline.distributedBucketBytes > 0) {
#ifdef NNGC_MPI_LIBRARIES
    if (!llvm::sys::fs::exists(mpiRuntime)) {
      llvm::errs() << "nngc: the MPI runtime " << mpiRuntime
                   << " does not exist\n";
      return ExitCode::EnvironmentError;
    }
    args.append({"-Wl,--whole-archive", mpiRuntime, "-Wl,--no-whole-archive"});
    StringRef(NNGC_MPI_LIBRARIES).split(mpiLibs, ',', -1, false);
#else
    llvm::errs() << "nngc: --distributed=mpi: this nngc was built without "
                    "MPI (install libopenmpi-dev, as scripts/setup.sh does, "
                    "and rebuild)\n";
    return ExitCode::EnvironmentError;
#endif
  }
  if (cuda) {
    // No oneDNN, MLIR or LLVM; the driver and cuBLASLt are dlopen'ed at
    // run time, so the trainer runs wherever the NVIDIA driver and CUDA 13
    // libraries are, and says "no CUDA device" elsewhere.
    args.append({"-Wl,--whole-archive", cudaRuntime, "-Wl,--no-whole-archive",
                 runtime, "-Wl,-Bstatic", "-lboost_program_options",
                 "-Wl,-Bdynamic", "-lz", "-fopenmp", "-lpthread", "-ldl"});
  } else {
    args.append({runtime, "-Wl,-Bstatic", "-lboost_program_options",
                 "-Wl,-Bdynamic", "-ldnnl", "-lz", "-fopenmp", "-lpthread"});
  }
  args.append(mpiLibs.begin(), mpiLibs.end());
  // A sanitized build's runtime needs the sanitizers' run-time libraries.
  std::string sanitize = std::string("-fsanitize=") + NNGC_TRAINER_SANITIZE;
  if (*NNGC_TRAINER_SANITIZE)
    args.push_back(sanitize);
  std::string error;
  int rc =
      llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    llvm::errs() << "nngc: linking " << options.output << " failed"
                 << (error.empty() ? "" : ": " + error) << "\n";
    return ExitCode::EnvironmentError;
  }
  return ExitCode::Success;
}

ExitCode nngc::compile(const CompileOptions &options) {
  // MLIR's own debugging flags (--mlir-print-ir-after-all, ...).
  static bool registered = false;
  if (!registered) {
    // First, so that --mlir-print-ir-after=nngc-autodiff knows the names.
    registerAllPasses();
    registerMLIRContextCLOptions();
    registerPassManagerCLOptions();
    registerAsmPrinterCLOptions();
    registerDefaultTimingManagerCLOptions();
    registered = true;
  }
  if (!options.mlirOptions.empty()) {
    std::vector<const char *> argv = {"nngc"};
    for (const std::string &o : options.mlirOptions)
      argv.push_back(o.c_str());
    if (!llvm::cl::ParseCommandLineOptions(argv.size(), argv.data(), "",
                                           &llvm::errs()))
      return ExitCode::InputError;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the file, line and column; the op itself is noise.
  context.printOpOnDiagnostic(false);
  context.loadAllAvailableDialects();

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  auto file = openInputFile(options.input, &error);
  if (!file) {
    llvm::errs() << "nngc: " << error << "\n";
    return ExitCode::InputError;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  if (options.timings)
    tm.setEnabled(true);
  TimingScope timing = tm.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope t = timing.nest("parse + verify");
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return ExitCode::InputError;

  // The training graph, then (after the report, which reads it) the
  // lowering.
  TimingScope passTiming = timing.nest("passes");
  auto runStage = [&](void (*build)(OpPassManager &, const PipelineOptions &)) {
    PassManager pm(&context);
    pm.enableTiming(passTiming);
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    build(pm, options.pipeline);
    return pm.run(*module);
  };
  if (failed(runStage(buildTrainingPipeline)))
    return ExitCode::InputError;
  if (!options.report.empty())
    if (ExitCode rc = writeReport(*module, options); rc != ExitCode::Success)
      return rc;
  bool cuda = options.target == "cuda";
#ifndef NNGC_CUDA_RUNTIME
  if (cuda && options.emit == EmitStage::Executable) {
    llvm::errs() << "nngc: --target=cuda --emit=exe: this nngc was built "
                    "without cuda.h and cublasLt.h, so it has no CUDA trainer "
                    "runtime (libnngc_cuda.a); install the CUDA toolkit's "
                    "headers and rebuild, or use --emit=ptx\n";
    return ExitCode::EnvironmentError;
  }
#endif
  if (cuda && options.emit != EmitStage::NN) {
    if (failed(runStage(buildGPUKernelPipeline)))
      return ExitCode::InputError;
    if (options.emit == EmitStage::PTX) {
      passTiming.stop();
      if (auto missing =
              (*module)->getAttrOfType<ArrayAttr>("nngc.gpu_missing");
          missing && !missing.empty()) {
        llvm::errs() << "nngc: note: no GPU kernel yet for";
        for (Attribute a : missing)
          llvm::errs() << " " << cast<StringAttr>(a).getValue();
        llvm::errs() << " (docs/CUDA.md)\n";
      }
      std::string ptx = ptxOf(*module);
      return writeText(options.output,
                       [&](llvm::raw_ostream &os) { os << ptx; });
    }
    // The host side follows (nngc-convert-nn-to-llvm embeds the PTX).
  }
  if (options.emit != EmitStage::NN &&
      failed(runStage(buildLowerToLLVMPipeline)))
    return ExitCode::InputError;
  passTiming.stop();
  if (options.emit == EmitStage::NN || options.emit == EmitStage::MLIR)
    return writeText(options.output,
                     [&](llvm::raw_ostream &os) { module->print(os); });

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    TimingScope t = timing.nest("LLVM IR + optimisation");
    auto translated =
        translateAndOptimize(*module, llvmContext, options.codegen);
    if (!translated) {
      llvm::errs() << "nngc: " << llvm::toString(translated.takeError())
                   << "\n";
      return ExitCode::EnvironmentError;
    }
    llvmModule = std::move(*translated);
  }
  if (options.emit == EmitStage::LLVM)
    return writeText(options.output, [&](llvm::raw_ostream &os) {
      llvmModule->print(os, nullptr);
    });

  std::string objectPath = options.output;
  SmallString<128> tempObject;
  if (options.emit == EmitStage::Executable) {
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("nngc-model", "o", tempObject)) {
      llvm::errs() << "nngc: cannot create a temporary file: " << ec.message()
                   << "\n";
      return ExitCode::EnvironmentError;
    }
    objectPath = tempObject.str().str();
  }
  {
    TimingScope t = timing.nest("object file");
    if (llvm::Error err =
            emitObjectFile(*llvmModule, objectPath, options.codegen)) {
      llvm::errs() << "nngc: " << llvm::toString(std::move(err)) << "\n";
      return ExitCode::EnvironmentError;
    }
  }
  if (options.emit == EmitStage::Object)
    return ExitCode::Success;
  ExitCode rc;
  {
    TimingScope t = timing.nest("link");
    rc = link(options, objectPath);
  }
  llvm::sys::fs::remove(tempObject);
  return rc;
}
