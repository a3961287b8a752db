//===- nngc-fuzz.cpp - libFuzzer target for nngc's front end --------------===//
//
// Feeds each input through what `nngc compile` does before it writes code:
// parse and verify the model, the training pipeline (decomposition, step
// model, autodiff, optimizer, fusion, memory plan) at -O0 and -O2, the
// report, and the lowering to the LLVM dialect, with diagnostics swallowed.
// Linking (and LLVM's back end) is left out. A crash, a hang or a
// sanitizer error is a bug; a diagnostic is the expected answer to a bad
// model. Built with -DNNGC_FUZZ=ON (clang-19, libfuzzer-19-dev); see
// docs/Testing.md.
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"
#include "nngc/Dialect/NN/Transforms/Report.h"
#include "nngc/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace mlir;

/// The context, made afresh every 1000 inputs: it keeps every type and
/// attribute it has seen, so one context for a long run only grows.
static MLIRContext &context() {
  static std::unique_ptr<MLIRContext> ctx;
  static int64_t uses = 0;
  if (!ctx || ++uses % 1000 == 0) {
    DialectRegistry registry;
    nngc::registerAllDialects(registry);
    ctx = std::make_unique<MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    ctx->printOpOnDiagnostic(false);
    // A bad model is answered with diagnostics; none are printed.
    ctx->getDiagEngine().registerHandler(
        [](Diagnostic &) { return success(); });
  }
  return *ctx;
}

static void compileOnce(llvm::StringRef text, unsigned optLevel) {
  MLIRContext &ctx = context();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.mlir"), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  if (!module)
    return;
  nngc::PipelineOptions options;
  options.optLevel = optLevel;
  PassManager training(&ctx);
  nngc::buildTrainingPipeline(training, options);
  if (failed(training.run(*module)))
    return;
  for (nngc::nn::ModelOp model : module->getOps<nngc::nn::ModelOp>())
    if (!model->hasAttr("nngc.step_of"))
      (void)nngc::nn::renderReport(nngc::nn::buildReport(model, true));
  PassManager lower(&ctx);
  nngc::buildLowerToLLVMPipeline(lower, options);
  (void)lower.run(*module);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Models are small text files; very large inputs only slow the search.
  if (size > 64 * 1024)
    return -1;
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  compileOnce(text, 0);
  compileOnce(text, 2);
  return 0;
}
