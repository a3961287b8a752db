//===- NNOps.td - nn dialect ops ---------------------------*- tablegen -*-===//
//
// Model ops, then layer and tensor ops, then the ops that nngc-autodiff and
// nngc-optimizer emit.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNOPS_TD
#define NNGC_DIALECT_NN_IR_NNOPS_TD

include "nngc/Dialect/NN/IR/NNBase.td"
include "nngc/Dialect/NN/IR/NNAttrs.td"
include "nngc/Interfaces/VJPOpInterface.td"
include "nngc/Interfaces/PlanInterfaces.td"
include "nngc/Interfaces/DecomposeOpInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

include "nngc/Dialect/NN/IR/NNModelOps.td"
include "nngc/Dialect/NN/IR/NNLayerOps.td"
include "nngc/Dialect/NN/IR/NNSequenceOps.td"
include "nngc/Dialect/NN/IR/NNTensorOps.td"
include "nngc/Dialect/NN/IR/NNTransformerOps.td"
include "nngc/Dialect/NN/IR/NNSeq2SeqOps.td"
include "nngc/Dialect/NN/IR/NNTrainingOps.td"
include "nngc/Dialect/NN/IR/NNFusedOps.td"
include "nngc/Dialect/NN/IR/NNDistributedOps.td"

#endif // NNGC_DIALECT_NN_IR_NNOPS_TD
