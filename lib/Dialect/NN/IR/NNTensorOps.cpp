//===- NNTensorOps.cpp - reductions, slices, concatenation ----------------===//
//
// Verifiers of the ops in NNTensorOps.td. Their VJPs are in NNVJP.cpp.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using namespace nngc::nn::detail;

/// `axis` in [0, rank), or failure with an error on `op`.
static FailureOr<int64_t> checkAxis(Operation *op, int64_t axis, int64_t rank) {
  if (rank == 0) {
    op->emitOpError("needs an input of rank >= 1");
    return failure();
  }
  if (axis < -rank || axis >= rank) {
    op->emitOpError() << "axis " << axis << " is out of range for rank "
                      << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

static int64_t normalize(int64_t v, int64_t size) {
  return v < 0 ? v + size : v;
}

/// `shape` without dimension `axis`.
static SmallVector<int64_t> dropAxis(ArrayRef<int64_t> shape, int64_t axis) {
  SmallVector<int64_t> out(shape);
  out.erase(out.begin() + axis);
  return out;
}

/// Whether `a` and `b` have one rank and agree everywhere but `axis`.
static bool sameButAxis(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                        int64_t axis) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (static_cast<int64_t>(i) != axis && a[i] != b[i])
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// reduce
//===----------------------------------------------------------------------===//

int64_t ReduceOp::getNormalizedAxis() {
  return normalize(getAxis(), shapeOf(getInput()).size());
}

LogicalResult ReduceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> dropped = dropAxis(in, *axis), kept(in);
  kept[*axis] = 1;
  if (out != ArrayRef<int64_t>(dropped) && out != ArrayRef<int64_t>(kept))
    return emitOpError() << "result must be " << shapeStr(dropped) << " (or "
                         << shapeStr(kept) << " keeping the axis), got "
                         << shapeStr(out);
  if (!getMask())
    return success();
  ArrayRef<int64_t> mask = shapeOf(getMask());
  bool ok = mask.size() == in.size();
  size_t j = 0;
  for (; ok && j < mask.size() && mask[j] == in[j]; ++j)
    ;
  for (size_t k = j; ok && k < mask.size(); ++k)
    ok = mask[k] == 1;
  // The mask must cover the reduced axis (unless it has size 1 anyway).
  ok = ok && (static_cast<int64_t>(j) > *axis || in[*axis] == 1);
  if (!ok)
    return emitOpError()
           << "mask " << shapeStr(mask)
           << " must have the input's leading dimensions, through axis "
           << *axis << ", then 1s (the input is " << shapeStr(in) << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// slice, select, slice_grad
//===----------------------------------------------------------------------===//

int64_t SliceOp::getNormalizedAxis() {
  return normalize(getAxis(), shapeOf(getInput()).size());
}
int64_t SliceOp::getNormalizedStart() {
  return normalize(getStart(), shapeOf(getInput())[getNormalizedAxis()]);
}

/// Checks that [start, start + n) lies in [0, size).
static LogicalResult checkRange(Operation *op, int64_t start, int64_t n,
                                int64_t size) {
  int64_t s = normalize(start, size);
  if (s < 0 || s >= size || s + n > size)
    return op->emitOpError()
           << "range [" << start << ", " << start << " + " << n
           << ") does not fit in a dimension of size " << size;
  return success();
}

LogicalResult SliceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis))
    return failure();
  if (!sameButAxis(in, out, *axis))
    return emitOpError() << "result " << shapeStr(out)
                         << " must match the input " << shapeStr(in)
                         << " everywhere but axis " << *axis;
  return checkRange(*this, getStart(), out[*axis], in[*axis]);
}

int64_t SelectOp::getNormalizedAxis() {
  return normalize(getAxis(), shapeOf(getInput()).size());
}
int64_t SelectOp::getNormalizedIndex() {
  return normalize(getIndex(), shapeOf(getInput())[getNormalizedAxis()]);
}

LogicalResult SelectOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> want = dropAxis(in, *axis);
  if (out != ArrayRef<int64_t>(want))
    return emitOpError() << "result must be " << shapeStr(want) << ", got "
                         << shapeStr(out);
  return checkRange(*this, getIndex(), 1, in[*axis]);
}

LogicalResult SliceGradOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getGrad()), out = shapeOf(getResult());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), out.size());
  if (failed(axis))
    return failure();
  if (!sameButAxis(in, out, *axis))
    return emitOpError() << "grad " << shapeStr(in) << " must match the result "
                         << shapeStr(out) << " everywhere but axis " << *axis;
  if (static_cast<int64_t>(getStart()) < 0)
    return emitOpError("start must be normalized (>= 0)");
  return checkRange(*this, getStart(), in[*axis], out[*axis]);
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

int64_t ConcatOp::getNormalizedAxis() {
  return normalize(getAxis(), shapeOf(getResult()).size());
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  ArrayRef<int64_t> out = shapeOf(getResult());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), out.size());
  if (failed(axis))
    return failure();
  int64_t total = 0;
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    ArrayRef<int64_t> in = shapeOf(v);
    if (!sameButAxis(in, out, *axis))
      return emitOpError() << "input " << i << " " << shapeStr(in)
                           << " must match the result " << shapeStr(out)
                           << " everywhere but axis " << *axis;
    total += in[*axis];
  }
  if (total != out[*axis])
    return emitOpError() << "result has " << out[*axis] << " along axis "
                         << *axis << " but the inputs add up to " << total;
  return success();
}
