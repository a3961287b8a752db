//===- Driver.h - `nngc compile` as a library -----------------*- C++ -*-===//
//
// The phases of `nngc compile`, each reachable with --emit:
//
//   parse+verify --> nn (training graph) --> mlir (LLVM dialect)
//                --> llvm (LLVM IR) --> obj --> exe (linked trainer)
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DRIVER_DRIVER_H
#define NNGC_DRIVER_DRIVER_H

#include "nngc/Pipelines/Pipelines.h"
#include "nngc/Target/ObjectEmitter.h"

#include <string>
#include <vector>

namespace nngc {

/// How far `nngc compile` goes, and what it writes.
enum class EmitStage { NN, MLIR, LLVM, Object, Executable, PTX };

/// Process exit codes of the driver.
enum class ExitCode : int {
  Success = 0,
  /// The model or the command line is wrong (diagnostics were printed).
  InputError = 1,
  /// A tool or file operation failed (e.g. the linker).
  EnvironmentError = 2,
};

struct CompileOptions {
  std::string input;
  /// Output path; "-" is stdout (text stages only).
  std::string output;
  EmitStage emit = EmitStage::Executable;
  PipelineOptions pipeline;
  CodegenOptions codegen;
  /// Folder with libnngc_trainer.a (default: the build's lib/, or
  /// $NNGC_RUNTIME_DIR).
  std::string runtimeDir;
  /// The C++ compiler used as the linker driver.
  std::string linker = "c++";
  /// Print each phase's time to stderr.
  bool timings = false;
  /// "text" or "json": print the compile report (`--report`); empty: none.
  std::string report;
  /// Where the report goes (empty: stdout, or stderr when the output is
  /// stdout).
  std::string reportFile;
  /// "cpu" (oneDNN and the runtime's kernels) or "cuda" (GPU kernels as
  /// PTX; the CUDA trainer's host side is not built yet: --emit=ptx only).
  std::string target = "cpu";
  /// MLIR options (e.g. --mlir-print-ir-after-all) passed through.
  std::vector<std::string> mlirOptions;
};

/// Runs `nngc compile`; prints diagnostics (file:line:col) to stderr.
ExitCode compile(const CompileOptions &options);

/// The runtime folder compiled into this build.
std::string defaultRuntimeDir();

} // namespace nngc

#endif // NNGC_DRIVER_DRIVER_H
