//===- NNDistributedOps.cpp - all-reduce ops; memory aliasing -------------===//
//
// Verifiers of the ops nngc-distribute emits, and aliasRoot, which sees
// through every op whose results alias its operands, and the storage type
// of a tensor's memory (storedAsBF16).
//
//===----------------------------------------------------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

Value nngc::nn::aliasRoot(Value v) {
  while (true) {
    Operation *def = v.getDefiningOp();
    if (auto r = dyn_cast_or_null<ReshapeOp>(def))
      v = r.getInput();
    else if (isa_and_nonnull<AllReduceStartOp, AllReduceWaitOp>(def))
      v = def->getOperand(cast<OpResult>(v).getResultNumber());
    else
      return v;
  }
}

bool nngc::nn::storedAsBF16(Value v) {
  auto r = dyn_cast<OpResult>(aliasRoot(v));
  if (!r)
    return false;
  auto marks =
      r.getOwner()->getAttrOfType<DenseBoolArrayAttr>(kBF16StorageAttr);
  return marks && r.getResultNumber() < marks.size() &&
         marks[r.getResultNumber()];
}

int64_t nngc::nn::storedBytes(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t bits = storedAsBF16(v) ? 16 : type.getElementTypeBitWidth();
  return type.getNumElements() * (bits / 8);
}

/// Results of the operands' types, one each, and at least one.
static LogicalResult verifyAliasing(Operation *op) {
  if (op->getNumOperands() == 0)
    return op->emitOpError("needs at least one gradient");
  if (op->getNumResults() != op->getNumOperands())
    return op->emitOpError("must have one result per operand");
  for (auto [i, v] : llvm::enumerate(op->getOperands()))
    if (v.getType() != op->getResult(i).getType())
      return op->emitOpError("result ")
             << i << " must have the type of operand " << i;
  return success();
}

LogicalResult AllReduceStartOp::verify() {
  if (failed(verifyAliasing(*this)))
    return failure();
  if (static_cast<int64_t>(getBucket()) < 0)
    return emitOpError("bucket must not be negative");
  for (Value v : getInFlight())
    for (Operation *user : v.getUsers())
      if (!isa<AllReduceWaitOp>(user))
        return emitOpError("results may be taken only by nn.all_reduce_wait, "
                           "not by ")
               << user->getName();
  return success();
}

AllReduceStartOp AllReduceWaitOp::getStart() {
  return getInFlight().front().getDefiningOp<AllReduceStartOp>();
}

LogicalResult AllReduceWaitOp::verify() {
  if (failed(verifyAliasing(*this)))
    return failure();
  AllReduceStartOp start = getStart();
  if (!start || start.getNumResults() != getNumOperands())
    return emitOpError("must take every result of one nn.all_reduce_start");
  for (auto [i, v] : llvm::enumerate(getInFlight()))
    if (v != start.getResult(i))
      return emitOpError("operand ")
             << i << " must be result " << i << " of its nn.all_reduce_start";
  if (start.getBucket() != getBucket())
    return emitOpError("waits for bucket ")
           << getBucket() << " but its start is bucket " << start.getBucket();
  return success();
}
