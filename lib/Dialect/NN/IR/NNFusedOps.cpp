//===- NNFusedOps.cpp - ops of nngc-fuse; FLOP counts --------------------===//
//
// Verifiers of the fused ops, and the FlopCountOpInterface of the ops that
// do most of a step's arithmetic (products, attention, recurrent layers),
// which `nngc compile --report` adds up.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "nngc/Dialect/NN/IR/NN.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;
using nn::detail::shapeOf;
using nn::detail::shapeStr;

static int64_t elements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

//===----------------------------------------------------------------------===//
// nn.fused_matmul
//===----------------------------------------------------------------------===//

FusedMatmulOp::Dims FusedMatmulOp::getDims() {
  ArrayRef<int64_t> a = shapeOf(getLhs()), b = shapeOf(getRhs());
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  size_t ra = a.size();
  int64_t n = tb ? b[0] : b[1];
  if (b.size() == 2 && !ta) // the linear form: every row of lhs
    return {1, elements(getLhs()) / a.back(), a.back(), n, false};
  int64_t batch = ra == 3 ? a[0] : 1;
  int64_t m = ta ? a[ra - 1] : a[ra - 2];
  int64_t k = ta ? a[ra - 2] : a[ra - 1];
  n = tb ? b[b.size() - 2] : b.back();
  return {batch, m, k, n, ra == 3 && b.size() == 2};
}

LogicalResult FusedMatmulOp::verify() {
  ArrayRef<int64_t> a = shapeOf(getLhs()), b = shapeOf(getRhs());
  ArrayRef<int64_t> c = shapeOf(getResult());
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  if (a.size() < 2 || b.size() < 2 || b.size() > 3)
    return emitOpError("needs a lhs of rank >= 2 and a rhs of rank 2 or 3");
  SmallVector<int64_t> expected;
  if (b.size() == 2 && !ta) {
    int64_t k = tb ? b[1] : b[0];
    if (a.back() != k)
      return emitOpError("contraction sizes differ: lhs ")
             << shapeStr(a) << " and rhs " << shapeStr(b);
    expected.assign(a.begin(), a.end() - 1);
    expected.push_back(tb ? b[0] : b[1]);
  } else {
    if (a.size() > 3 || (a.size() == 2 && b.size() == 3) ||
        (a.size() == 3 && b.size() == 3 && a[0] != b[0]))
      return emitOpError("has incompatible batched shapes ")
             << shapeStr(a) << " and " << shapeStr(b);
    size_t ra = a.size(), rb = b.size();
    int64_t ka = ta ? a[ra - 2] : a[ra - 1];
    int64_t kb = tb ? b[rb - 1] : b[rb - 2];
    if (ka != kb)
      return emitOpError("contraction sizes differ: lhs ")
             << shapeStr(a) << " and rhs " << shapeStr(b);
    if (ra == 3)
      expected.push_back(a[0]);
    expected.push_back(ta ? a[ra - 1] : a[ra - 2]);
    expected.push_back(tb ? b[rb - 2] : b[rb - 1]);
  }
  if (ArrayRef<int64_t>(expected) != c)
    return emitOpError("result must be ")
           << shapeStr(expected) << ", not " << shapeStr(c);
  if (getBias() && shapeOf(getBias()) != ArrayRef<int64_t>{c.back()})
    return emitOpError("bias must be [") << c.back() << "]";
  if (getAddend() && getAddend().getType() != getResult().getType())
    return emitOpError("addend must have the result's type");
  if (getAccumulate() && !getAddend())
    return emitOpError("accumulate needs an addend");
  if (getActivation() == EpilogueActivation::leaky_relu &&
      getNegativeSlope().convertToDouble() < 0)
    return emitOpError("negative_slope must be >= 0");
  return success();
}

// An accumulating product writes over its addend, unless another operand
// shares the addend's memory: the matmul would read what it is writing.
bool FusedMatmulOp::canWriteOverOperand(unsigned index) {
  Value addend = getAddend();
  if (!getAccumulate() || index != getOperation()->getNumOperands() - 1)
    return false;
  Value root = aliasRoot(addend);
  for (Value other : {getLhs(), getRhs(), getBias()})
    if (other && aliasRoot(other) == root)
      return false;
  return true;
}

int64_t FusedMatmulOp::getFlops() {
  Dims d = getDims();
  return 2 * d.batch * d.m * d.k * d.n + 2 * elements(getResult());
}

//===----------------------------------------------------------------------===//
// Multi-tensor optimizer updates
//===----------------------------------------------------------------------===//

template <typename OpT> static LogicalResult verifyMultiUpdate(OpT op) {
  size_t n = op.getParams().size();
  if (n == 0)
    return op.emitOpError("needs at least one parameter");
  if (op.getWeightDecays().size() != n)
    return op.emitOpError("needs one weight decay per parameter (")
           << n << "), got " << op.getWeightDecays().size();
  return success();
}

LogicalResult MultiAdamUpdateOp::verify() { return verifyMultiUpdate(*this); }

LogicalResult DropoutAddOp::verify() {
  double p = getP().convertToDouble();
  if (p < 0 || p >= 1)
    return emitOpError() << "p must be in [0, 1), got " << p;
  return success();
}

// Over the input only: the dropout writes each element over its own, and
// the addend is read after it.
bool DropoutAddOp::canWriteOverOperand(unsigned index) { return index == 0; }

LogicalResult MultiSGDUpdateOp::verify() {
  if (!getMomentumBuffers().empty() &&
      getMomentumBuffers().size() != getParams().size())
    return emitOpError("needs no momentum buffer or one per parameter");
  for (auto [p, m] : llvm::zip(getParams(), getMomentumBuffers()))
    if (p.getType() != m.getType())
      return emitOpError("momentum buffers must match their parameters");
  if (getMomentumBuffers().empty() != getMomentum().isZero())
    return emitOpError("has momentum buffers iff momentum is non-zero");
  return verifyMultiUpdate(*this);
}

//===----------------------------------------------------------------------===//
// FLOP counts
//===----------------------------------------------------------------------===//

int64_t LinearOp::getFlops() {
  int64_t in = shapeOf(getWeight()).back();
  int64_t flops = 2 * elements(getResult()) * in;
  return getBias() ? flops + elements(getResult()) : flops;
}

int64_t MatmulOp::getFlops() {
  ArrayRef<int64_t> a = shapeOf(getLhs());
  int64_t k = getTransposeLhs() ? a[a.size() - 2] : a.back();
  return 2 * elements(getResult()) * k;
}

/// Two products of [B, heads, Tq, D] by [B, heads, D, Tk] (scores, then
/// the weighted values) and the softmax (about 5 operations a score).
static int64_t attentionFlops(Value query, Value key, int64_t heads) {
  ArrayRef<int64_t> q = shapeOf(query);
  int64_t tk = shapeOf(key)[1];
  int64_t scores = q[0] * heads * q[1] * tk;
  return 4 * q[0] * q[1] * tk * q[2] + 5 * scores;
}

int64_t AttentionOp::getFlops() {
  return attentionFlops(getQuery(), getKey(), getHeads());
}

// The backward takes four products (dV, dP, dQ, dK) and the softmax's,
// and, when nngc-remat lets it recompute the probabilities instead of
// keeping them, the scores product and the softmax again.
int64_t AttentionGradOp::getFlops() {
  int64_t flops = 2 * attentionFlops(getQuery(), getKey(), getHeads());
  auto forward = getOutput().getDefiningOp<AttentionOp>();
  if (forward && forward->hasAttr("nngc.recompute_probs"))
    flops += forward.getScoresFlops();
  return flops;
}

/// Gate products of every layer, direction and step: 2 G H (I + H) a row.
static int64_t recurrentFlops(const RecurrentConfig &c) {
  int64_t flops = 0;
  for (int64_t l = 0; l < c.layers; ++l) {
    int64_t in = l == 0 ? c.inputSize : c.hidden * c.directions;
    flops += 2 * c.gates() * c.hidden * (in + c.hidden) * c.directions;
  }
  return flops * c.seq * c.batch;
}

int64_t RNNOp::getFlops() { return recurrentFlops(getConfig()); }
int64_t GRUOp::getFlops() { return recurrentFlops(getConfig()); }
int64_t LSTMOp::getFlops() { return recurrentFlops(getConfig()); }
// Gradients of the inputs, the states and the weights: two products a gate
// product of the forward.
int64_t RNNGradOp::getFlops() { return 2 * recurrentFlops(getConfig()); }
