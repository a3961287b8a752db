//===- ObjectEmitter.h - LLVM dialect -> LLVM IR -> object file -*- C++ -*-===//

#ifndef NNGC_TARGET_OBJECTEMITTER_H
#define NNGC_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace nngc {

/// Code-generation settings.
struct CodegenOptions {
  /// LLVM optimisation level, 0 to 3.
  unsigned optLevel = 2;
  /// Target CPU ("" = generic x86-64, "native" = this machine's).
  std::string cpu;
};

/// Translates a module in the LLVM dialect to LLVM IR for the host target,
/// and optimises it at `options.optLevel`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     const CodegenOptions &options);

/// Writes `module` as a relocatable object file to `path`.
llvm::Error emitObjectFile(llvm::Module &module, llvm::StringRef path,
                           const CodegenOptions &options);

} // namespace nngc

#endif // NNGC_TARGET_OBJECTEMITTER_H
