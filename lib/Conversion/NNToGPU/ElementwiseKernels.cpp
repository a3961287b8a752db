//===- ElementwiseKernels.cpp - activations, their gradients, broadcasts --===//
//
// One thread per vector of 4 (or 2, or 1) elements in a grid-stride loop,
// with 128-bit loads and stores: the activations and their backward ops
// with the CPU kernels' formulas, nn.fill, and the broadcasting
// add/sub/mul with each operand's strides fixed at compile time (0 along a
// broadcast dimension).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// result[i] = f(input[i]), in vectors of vectorWidth(n) floats.
template <typename OpT>
void addUnary(GPUKernelPatterns &patterns,
              std::function<Value(KernelBuilder &, OpT, Value)> f) {
  addKernel<OpT>(patterns, [f](OpT op, gpu::GPUModuleOp module,
                               StringRef name) {
    Value in = op->getOperand(0), out = op->getResult(0);
    int64_t n = elements(out), w = vectorWidth(n);
    KernelBuilder k(module, op, name,
                    {KernelArg::vectors(in, w), KernelArg::vectors(out, w)});
    k.gridStrideLoop(n / w, [&](Value i) {
      SmallVector<Value, 4> x = k.loadLanes(k.arg(0), i);
      for (Value &v : x)
        v = f(k, op, v);
      k.storeLanes(x, k.arg(1), i);
    });
    k.finish(KernelBuilder::gridFor(n / w));
    return success();
  });
  setBF16<OpT>(patterns, anyBF16());
}

/// result[i] = f(grad[i], saved[i]), in vectors of vectorWidth(n) floats.
template <typename OpT>
void addGrad(GPUKernelPatterns &patterns,
             std::function<Value(KernelBuilder &, OpT, Value, Value)> f) {
  addKernel<OpT>(patterns, [f](OpT op, gpu::GPUModuleOp module,
                               StringRef name) {
    Value grad = op.getGrad(), saved = op.getSaved(), out = op.getResult();
    int64_t n = elements(out), w = vectorWidth(n);
    KernelBuilder k(module, op, name,
                    {KernelArg::vectors(grad, w), KernelArg::vectors(saved, w),
                     KernelArg::vectors(out, w)});
    k.gridStrideLoop(n / w, [&](Value i) {
      SmallVector<Value, 4> g = k.loadLanes(k.arg(0), i),
                            s = k.loadLanes(k.arg(1), i);
      for (size_t l = 0; l < g.size(); ++l)
        g[l] = f(k, op, g[l], s[l]);
      k.storeLanes(g, k.arg(2), i);
    });
    k.finish(KernelBuilder::gridFor(n / w));
    return success();
  });
  setBF16<OpT>(patterns, anyBF16());
}

Value gelu(KernelBuilder &k, GeluApproximation approx, Value x) {
  if (approx == GeluApproximation::tanh) {
    Value inner = k.mul(k.f32(0.7978845608028654),
                        k.fma(k.mul(k.f32(0.044715), k.mul(x, x)), x, x));
    return k.mul(k.mul(k.f32(0.5), x), k.add(k.f32(1), k.tanh(inner)));
  }
  Value cdf =
      k.mul(k.f32(0.5), k.add(k.f32(1), k.erf(k.mul(x, k.f32(M_SQRT1_2)))));
  return k.mul(x, cdf);
}

Value geluGrad(KernelBuilder &k, GeluApproximation approx, Value g, Value x) {
  if (approx == GeluApproximation::tanh) {
    // d/dx 0.5 x (1 + tanh(u)), u = c (x + a x^3).
    const double c = 0.7978845608028654, a = 0.044715;
    Value x2 = k.mul(x, x);
    Value t = k.tanh(k.mul(k.f32(c), k.fma(k.mul(k.f32(a), x2), x, x)));
    Value du = k.mul(k.f32(c), k.fma(k.f32(3 * a), x2, k.f32(1)));
    Value sech2 = k.sub(k.f32(1), k.mul(t, t));
    Value d = k.fma(k.mul(k.mul(k.f32(0.5), x), sech2), du,
                    k.mul(k.f32(0.5), k.add(k.f32(1), t)));
    return k.mul(g, d);
  }
  // Phi(x) + x phi(x).
  Value cdf =
      k.mul(k.f32(0.5), k.add(k.f32(1), k.erf(k.mul(x, k.f32(M_SQRT1_2)))));
  Value pdf =
      k.mul(k.f32(0.3989422804014327), k.exp(k.mul(k.f32(-0.5), k.mul(x, x))));
  return k.mul(g, k.fma(x, pdf, cdf));
}

/// c = a (op) b over the result's shape, with broadcast strides, in
/// vectors of w = vectorWidth(innermost dimension) floats (of all n
/// elements when neither operand broadcasts): the w elements of a vector
/// share their index in every dimension but the innermost, so an operand
/// with the result's innermost dimension is read as one vector at its
/// offset (a multiple of w), and one broadcast along it as one float.
template <typename OpT>
void addBinary(GPUKernelPatterns &patterns,
               std::function<Value(KernelBuilder &, Value, Value)> f) {
  addKernel<OpT>(patterns, [f](OpT op, gpu::GPUModuleOp module,
                               StringRef name) {
    Value lhs = op.getLhs(), rhs = op.getRhs(), out = op.getResult();
    ArrayRef<int64_t> shape = cast<RankedTensorType>(out.getType()).getShape();
    auto stridesOf = [&](Value v) {
      ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
      SmallVector<int64_t> strides(shape.size(), 0);
      int64_t stride = 1;
      for (int64_t d = static_cast<int64_t>(s.size()) - 1,
                   r = static_cast<int64_t>(shape.size()) - 1;
           d >= 0; --d, --r) {
        strides[r] = s[d] == 1 && shape[r] != 1 ? 0 : stride;
        stride *= s[d];
      }
      return strides;
    };
    SmallVector<int64_t> as = stridesOf(lhs), bs = stridesOf(rhs);
    bool sameA = elements(lhs) == elements(out),
         sameB = elements(rhs) == elements(out);
    int64_t n = elements(out);
    int64_t run = sameA && sameB ? n : shape.empty() ? 1 : shape.back();
    int64_t w =
        getElementTypeOrSelf(out.getType()).isF32() ? vectorWidth(run) : 1;
    // An operand broadcast along the innermost dimension is read a float
    // at a time (its lanes are that float).
    auto widthOf = [&](bool same, ArrayRef<int64_t> strides) {
      return same || (!strides.empty() && strides.back() == 1) ? w : 1;
    };
    int64_t wa = widthOf(sameA, as), wb = widthOf(sameB, bs);
    KernelBuilder k(module, op, name,
                    {KernelArg::vectors(lhs, wa), KernelArg::vectors(rhs, wb),
                     KernelArg::vectors(out, w)});
    k.gridStrideLoop(n / w, [&](Value v) {
      // The operands' element offsets from the multi-index of the
      // vector's first element i (constant divisors).
      Value i = k.mul(v, k.index(w));
      Value ia = sameA ? i : k.index(0), ib = sameB ? i : k.index(0);
      if (!sameA || !sameB) {
        Value rest = i;
        for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
          Value dim = k.index(shape[d]);
          Value idx = k.b().create<arith::RemUIOp>(k.loc(), rest, dim);
          rest = k.div(rest, dim);
          if (!sameA && as[d])
            ia = k.add(ia, k.mul(idx, k.index(as[d])));
          if (!sameB && bs[d])
            ib = k.add(ib, k.mul(idx, k.index(bs[d])));
        }
      }
      auto lanes = [&](unsigned arg, bool same, Value offset, int64_t width) {
        SmallVector<Value, 4> x =
            k.loadLanes(k.arg(arg), same ? v : k.div(offset, k.index(width)));
        x.resize(w, x.front());
        return x;
      };
      SmallVector<Value, 4> a = lanes(0, sameA, ia, wa),
                            b = lanes(1, sameB, ib, wb);
      for (int64_t l = 0; l < w; ++l)
        a[l] = f(k, a[l], b[l]);
      k.storeLanes(a, k.arg(2), v);
    });
    k.finish(KernelBuilder::gridFor(n / w));
    return success();
  });
  setBF16<OpT>(patterns, anyBF16());
}

} // namespace

void nngc::populateElementwiseGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addUnary<ReluOp>(patterns, [](KernelBuilder &k, ReluOp, Value x) {
    return k.max(x, k.f32(0));
  });
  addUnary<LeakyReluOp>(
      patterns, [](KernelBuilder &k, LeakyReluOp op, Value x) {
        Value slope = k.f32(op.getNegativeSlope().convertToDouble());
        return k.select(k.gt(x, k.f32(0)), x, k.mul(slope, x));
      });
  addUnary<SigmoidOp>(patterns, [](KernelBuilder &k, SigmoidOp, Value x) {
    return k.sigmoid(x);
  });
  addUnary<TanhOp>(patterns,
                   [](KernelBuilder &k, TanhOp, Value x) { return k.tanh(x); });
  addUnary<NegOp>(patterns, [](KernelBuilder &k, NegOp, Value x) {
    return k.b().create<arith::NegFOp>(k.loc(), x).getResult();
  });
  addUnary<GeluOp>(patterns, [](KernelBuilder &k, GeluOp op, Value x) {
    return gelu(k, op.getApproximate(), x);
  });

  // `saved` is the forward input (relu, leaky relu, gelu) or result
  // (sigmoid, tanh, and relu with from_result: relu(x) > 0 iff x > 0).
  addGrad<ReluGradOp>(patterns,
                      [](KernelBuilder &k, ReluGradOp, Value g, Value s) {
                        return k.select(k.gt(s, k.f32(0)), g, k.f32(0));
                      });
  addGrad<LeakyReluGradOp>(
      patterns, [](KernelBuilder &k, LeakyReluGradOp op, Value g, Value s) {
        Value slope = k.f32(op.getNegativeSlope().convertToDouble());
        return k.select(k.gt(s, k.f32(0)), g, k.mul(slope, g));
      });
  addGrad<SigmoidGradOp>(patterns,
                         [](KernelBuilder &k, SigmoidGradOp, Value g, Value y) {
                           return k.mul(g, k.mul(y, k.sub(k.f32(1), y)));
                         });
  addGrad<TanhGradOp>(patterns,
                      [](KernelBuilder &k, TanhGradOp, Value g, Value y) {
                        return k.mul(g, k.sub(k.f32(1), k.mul(y, y)));
                      });
  addGrad<GeluGradOp>(patterns,
                      [](KernelBuilder &k, GeluGradOp op, Value g, Value x) {
                        return geluGrad(k, op.getApproximate(), g, x);
                      });

  addBinary<AddOp>(
      patterns, [](KernelBuilder &k, Value a, Value b) { return k.add(a, b); });
  addBinary<SubOp>(
      patterns, [](KernelBuilder &k, Value a, Value b) { return k.sub(a, b); });
  addBinary<MulOp>(
      patterns, [](KernelBuilder &k, Value a, Value b) { return k.mul(a, b); });

  addKernel<FillOp>(patterns, [](FillOp op, gpu::GPUModuleOp module,
                                 StringRef name) {
    int64_t n = elements(op.getResult()), w = vectorWidth(n);
    KernelBuilder k(module, op, name, {KernelArg::vectors(op.getResult(), w)});
    SmallVector<Value, 4> v(w, k.f32(op.getValue().convertToDouble()));
    k.gridStrideLoop(n / w, [&](Value i) { k.storeLanes(v, k.arg(0), i); });
    k.finish(KernelBuilder::gridFor(n / w));
    return success();
  });
  setBF16<FillOp>(patterns, anyBF16());
  // nn.round_bf16: to bf16 and back (nngc-store-bf16 stores its result as
  // bf16, whose store then rounds nothing more).
  addUnary<RoundBF16Op>(patterns, [](KernelBuilder &k, RoundBF16Op, Value x) {
    Value h = k.b().create<arith::TruncFOp>(k.loc(), k.b().getBF16Type(), x);
    return k.b()
        .create<arith::ExtFOp>(k.loc(), k.b().getF32Type(), h)
        .getResult();
  });
}
