//===- nngc-opt.cpp - nngc's mlir-opt -------------------------------------===//
//
// Runs nngc's passes and pipelines on .mlir files, for lit tests and for
// bisecting the pipeline: `nngc-opt --nngc-autodiff model.mlir`.
//
//===----------------------------------------------------------------------===//

#include "nngc/Pipelines/Pipelines.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  nngc::registerAllDialects(registry);
  nngc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nngc optimizer driver\n", registry));
}
