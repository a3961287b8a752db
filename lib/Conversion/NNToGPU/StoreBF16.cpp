//===- StoreBF16.cpp - nngc-store-bf16 ------------------------------------===//
//
// Chooses the tensors a CUDA trainer with --precision=bf16 stores as
// bf16 (see Passes.td): an activation is stored so when the op that makes
// it and every op that reads it can take it so (their GPU kernel
// patterns say, GPUKernelPattern::takesBF16), and the cuBLASLt products
// among them keep their operand types to what cuBLASLt multiplies (an
// attention's: all its tensors in one type).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "nngc/Conversion/Passes.h"
#include "nngc/Interfaces/PlanInterfaces.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace nngc {
#define GEN_PASS_DEF_NNSTOREBF16PASS
#include "nngc/Conversion/Passes.h.inc"
} // namespace nngc

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// The tensors of a cuBLASLt product (nn.linear, nn.matmul,
/// nn.fused_matmul): lhs op(rhs) [+ bias] [+ addend].
struct Product {
  OpOperand *lhs = nullptr, *rhs = nullptr, *bias = nullptr;
  Value addend, result;
};

std::optional<Product> productOf(Operation *op) {
  // (The bias, where there is one, is operand 2 of both ops that have one.)
  Product p;
  if (auto l = dyn_cast<LinearOp>(op)) {
    p = {&l.getInputMutable(), &l.getWeightMutable(),
         l.getBias() ? &op->getOpOperand(2) : nullptr, Value(), l.getResult()};
  } else if (auto m = dyn_cast<MatmulOp>(op)) {
    p = {&m.getLhsMutable(), &m.getRhsMutable(), nullptr, Value(),
         m.getResult()};
  } else if (auto f = dyn_cast<FusedMatmulOp>(op)) {
    p = {&f.getLhsMutable(), &f.getRhsMutable(),
         f.getBias() ? &op->getOpOperand(2) : nullptr, f.getAddend(),
         f.getResult()};
  } else {
    return std::nullopt;
  }
  return p;
}

/// A tensor the step reads but no op of it writes (a parameter, an
/// input): a product can read a bf16 copy of it (nn.round_bf16).
bool isLeaf(Value v) {
  return isa_and_nonnull<ParamOp, InputOp>(aliasRoot(v).getDefiningOp()) &&
         cast<RankedTensorType>(v.getType()).getElementType().isF32();
}

struct NNStoreBF16Pass
    : public nngc::impl::NNStoreBF16PassBase<NNStoreBF16Pass> {
  void runOnOperation() override {
    GPUKernelPatterns patterns;
    populateGPUKernelPatterns(patterns);
    // Training graphs only: a decoding step model (nngc-derive-step) would
    // copy every weight to bf16 for each token it reads.
    for (ModelOp model : getOperation().getOps<ModelOp>())
      if (!model.getBodyBlock().getOps<GradientOp>().empty())
        choose(model, patterns);
  }

  /// Whether `op` can take its tensor at `position` (operands, then
  /// results) as bf16, products aside.
  static bool takes(const GPUKernelPatterns &patterns, Operation *op,
                    unsigned position) {
    auto it = patterns.find(op->getName().getStringRef());
    return it != patterns.end() && it->second->takesBF16(op, position);
  }

  void choose(ModelOp model, const GPUKernelPatterns &patterns) {
    Block &body = model.getBodyBlock();
    // The candidates: f32 results whose op can write them as bf16 and
    // whose every reader (through aliasing reshapes) can read them so.
    llvm::SetVector<Value> bf16;
    for (Operation &op : body) {
      if (isa<ReshapeOp, AllReduceStartOp, AllReduceWaitOp>(op))
        continue;
      bool product = productOf(&op).has_value();
      for (OpResult r : op.getResults()) {
        if (!cast<RankedTensorType>(r.getType()).getElementType().isF32())
          continue;
        if (!product &&
            !takes(patterns, &op, op.getNumOperands() + r.getResultNumber()))
          continue;
        if (readersTake(r, patterns))
          bf16.insert(r);
      }
    }
    // The products: cuBLASLt multiplies bf16 by bf16 (into bf16 or f32)
    // or f32 by f32 (into f32); the addend and the bias have the result's
    // type. Demote until every product agrees; a leaf (a parameter, an
    // input) beside a bf16 operand, or the bias of a bf16 result, is read
    // as a bf16 copy.
    auto in = [&](Value v) { return bf16.contains(aliasRoot(v)); };
    auto demote = [&](Value v) { return bf16.remove(aliasRoot(v)); };
    SmallVector<Operation *> products;
    for (Operation &op : body)
      if (productOf(&op))
        products.push_back(&op);
    // An attention and its backward ops: the runtime runs them all in one
    // type (NNGC_ATTN_BF16), so their tensors are all bf16 or none.
    SmallVector<SmallVector<Value>> attentions;
    for (AttentionOp op : body.getOps<AttentionOp>()) {
      SmallVector<Value> group = {op.getQuery(), op.getKey(), op.getValue(),
                                  op.getResult()};
      for (Operation *user : op.getResult().getUsers())
        if (auto grad = dyn_cast<AttentionGradOp>(user);
            grad && grad.getOutput() == op.getResult()) {
          group.append({grad.getGrad(), grad.getQuery(), grad.getKey(),
                        grad.getValue()});
          group.append(grad->result_begin(), grad->result_end());
        }
      attentions.push_back(std::move(group));
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (ArrayRef<Value> group : attentions)
        if (!llvm::all_of(group, in))
          for (Value v : group)
            changed |= demote(v);
      for (Operation *op : products) {
        Product p = *productOf(op);
        Value a = p.lhs->get(), b = p.rhs->get();
        bool ina = in(a), inb = in(b);
        if (ina != inb) {
          Value other = ina ? b : a;
          if (!isLeaf(other))
            changed |= demote(ina ? a : b);
        }
        bool inputs16 = in(a) || in(b);
        bool biasOk = !p.bias || in(p.bias->get()) || isLeaf(p.bias->get());
        if (in(p.result) &&
            (!inputs16 || !biasOk || (p.addend && !in(p.addend))))
          changed |= demote(p.result);
        if (p.addend && in(p.addend) && !in(p.result))
          changed |= demote(p.addend);
        if (p.bias && in(p.bias->get()) && !in(p.result))
          changed |= demote(p.bias->get());
      }
    }
    // Mark the chosen results.
    llvm::MapVector<Operation *, SmallVector<bool>> marks;
    for (Value v : bf16) {
      auto r = cast<OpResult>(v);
      SmallVector<bool> &m = marks[r.getOwner()];
      m.resize(r.getOwner()->getNumResults(), false);
      m[r.getResultNumber()] = true;
    }
    for (auto &[op, m] : marks)
      op->setAttr(kBF16StorageAttr,
                  DenseBoolArrayAttr::get(op->getContext(), m));
    // One bf16 copy of each leaf that a product reads beside a bf16
    // operand, or as the bias of a bf16 result, made before the first such
    // product.
    llvm::DenseMap<Value, Value> copies;
    for (Operation *op : products) {
      Product p = *productOf(op);
      SmallVector<OpOperand *, 3> leaves;
      if (in(p.lhs->get()) != in(p.rhs->get()))
        leaves.push_back(in(p.lhs->get()) ? p.rhs : p.lhs);
      if (p.bias && in(p.result) && !in(p.bias->get()))
        leaves.push_back(p.bias);
      for (OpOperand *use : leaves) {
        Value &copy = copies[use->get()];
        if (!copy) {
          OpBuilder b(op);
          auto round = b.create<RoundBF16Op>(op->getLoc(), use->get());
          round->setAttr(kBF16StorageAttr,
                         DenseBoolArrayAttr::get(op->getContext(), {true}));
          copy = round.getResult();
        }
        use->set(copy);
      }
    }
  }

  /// Whether every op that reads `v`'s data (through reshapes) can take it
  /// as bf16; a product's coupling is checked afterwards.
  static bool readersTake(Value v, const GPUKernelPatterns &patterns) {
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<ReshapeOp>(user)) {
        if (!readersTake(user->getResult(0), patterns))
          return false;
        continue;
      }
      if (!readsData(use) || productOf(user))
        continue;
      if (!takes(patterns, user, use.getOperandNumber()))
        return false;
    }
    return true;
  }
};

} // namespace
