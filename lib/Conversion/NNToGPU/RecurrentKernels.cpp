//===- RecurrentKernels.cpp - the gate arithmetic of RNN, GRU and LSTM ----===//
//
// nn.rnn, nn.gru and nn.lstm run on the GPU as cuBLASLt products around
// these kernels (lib/Runtime/Cuda/Cuda.cpp, nngc_cuda_rnn): per layer and
// direction, the input projection of every step at once, then per step
// the hidden projection (with b_hh) and `<op>_cell`, a thread per
// (sequence, unit) that applies the gates in PyTorch's formulation and
// order (LSTM i, f, g, o; GRU r, z, n with the reset gate after the hidden
// projection), writes the new state and the step's output, and keeps the
// gate activations for the backward. The runtime passes every buffer
// (`ptr=` arguments) already offset to the step: the kernels know only
// the strides between sequences. A step past a sequence's length (the
// mask is 0 there) keeps the state and outputs 0, which is what PyTorch
// computes on packed sequences, in both directions.
//
// nn.rnn_grad's `<op>_cell_grad` is the step's backward: from the
// cotangent of the output and the carried cotangents of the state, the
// gates' pre-activation cotangents (for the input and the hidden
// projections: they differ in GRU's n gate), and the part of the
// cotangent of the previous state that does not go through W_hh (the
// runtime adds dG_h W_hh with a product). `<op>_dropout_<l>` drops the
// output of layer l (all but the last) with the CPU runtime's mask.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

namespace {

/// The strides and sizes the kernels of a layer stack use.
struct Stack {
  RecurrentConfig c;
  int64_t g, gh, saved;
  /// Between sequences: a row of the step's input projection or its
  /// cotangent (g floats a row), of the output (d * h floats a row), of
  /// the mask.
  int64_t gxStride, yStride, maskStride;

  explicit Stack(const RecurrentConfig &config) : c(config) {
    int64_t h = c.hidden;
    g = c.gates() * h;
    gh = g;
    // What the backward needs of a step's gates: LSTM i, f, g, o; GRU r,
    // z, n and the hidden projection's n part; RNN nothing (the state).
    saved = c.mode == RecurrentMode::lstm  ? 4 * h
            : c.mode == RecurrentMode::gru ? 4 * h
                                           : 0;
    int64_t rowsPerSequence = c.batchFirst ? c.seq : 1;
    gxStride = rowsPerSequence * g;
    yStride = rowsPerSequence * c.directions * h;
    maskStride = rowsPerSequence;
  }
  bool lstm() const { return c.mode == RecurrentMode::lstm; }
  bool gru() const { return c.mode == RecurrentMode::gru; }
  /// Floats of a step buffer of `perSequence` floats a sequence.
  int64_t step(int64_t perSequence) const { return c.batch * perSequence; }
  /// Floats of a whole-sequence buffer with `stride` between sequences and
  /// `row` floats at each step.
  int64_t whole(int64_t row) const { return c.seq * c.batch * row; }
};

/// (sequence, unit) of a thread's element i of [batch, hidden].
std::pair<Value, Value> unitOf(KernelBuilder &k, Value i, int64_t hidden) {
  return {k.div(i, k.index(hidden)),
          k.b().create<arith::RemUIOp>(k.loc(), i, k.index(hidden))};
}

Value at(KernelBuilder &k, Value b, int64_t stride, Value offset) {
  return k.add(k.mul(b, k.index(stride)), offset);
}

/// Whether the step is real for sequence b (no mask: always).
Value realStep(KernelBuilder &k, Value mask, Value b, int64_t stride) {
  if (!mask)
    return Value();
  return k.notEqual(k.load(mask, k.mul(b, k.index(stride))), k.f32(0));
}

Value pick(KernelBuilder &k, Value cond, Value a, Value b) {
  return cond ? k.select(cond, a, b) : a;
}

void buildCell(Operation *op, const Stack &s, gpu::GPUModuleOp module,
               StringRef name) {
  const RecurrentConfig &c = s.c;
  int64_t h = c.hidden, n = c.batch * h;
  SmallVector<KernelArg> args = {KernelArg::buffer(s.whole(s.g), "rnn_gx"),
                                 KernelArg::buffer(s.step(s.g), "rnn_gh"),
                                 KernelArg::buffer(s.step(h), "rnn_h_prev"),
                                 KernelArg::buffer(s.step(h), "rnn_h")};
  if (s.lstm()) {
    args.push_back(KernelArg::buffer(s.step(h), "rnn_c_prev"));
    args.push_back(KernelArg::buffer(s.step(h), "rnn_c"));
  }
  if (s.saved)
    args.push_back(KernelArg::buffer(s.step(s.saved), "rnn_gates"));
  args.push_back(KernelArg::buffer(s.whole(c.directions * h), "rnn_y"));
  if (c.hasMask)
    args.push_back(KernelArg::buffer(c.seq * c.batch, "rnn_mask"));
  KernelBuilder k(module, op, (name + "_cell").str(), args);
  unsigned next = 0;
  Value gx = k.arg(next++), gh = k.arg(next++), hPrev = k.arg(next++),
        hNew = k.arg(next++);
  Value cPrev = s.lstm() ? k.arg(next++) : Value();
  Value cNew = s.lstm() ? k.arg(next++) : Value();
  Value saved = s.saved ? k.arg(next++) : Value();
  Value y = k.arg(next++);
  Value mask = c.hasMask ? k.arg(next++) : Value();
  k.gridStrideLoop(n, [&](Value i) {
    auto [b, j] = unitOf(k, i, h);
    // Gate q's pre-activation parts from the input and the hidden state.
    auto xPart = [&](int64_t q) {
      return k.load(gx, at(k, b, s.gxStride, k.add(j, k.index(q * h))));
    };
    auto hPart = [&](int64_t q) {
      return k.load(gh, at(k, b, s.gh, k.add(j, k.index(q * h))));
    };
    auto keep = [&](int64_t q, Value v) {
      k.store(v, saved, at(k, b, s.saved, k.add(j, k.index(q * h))));
    };
    Value real = realStep(k, mask, b, s.maskStride);
    Value prev = k.load(hPrev, i), state;
    if (s.lstm()) {
      Value ig = k.sigmoid(k.add(xPart(0), hPart(0)));
      Value fg = k.sigmoid(k.add(xPart(1), hPart(1)));
      Value gg = k.tanh(k.add(xPart(2), hPart(2)));
      Value og = k.sigmoid(k.add(xPart(3), hPart(3)));
      Value cp = k.load(cPrev, i);
      Value cell = k.fma(fg, cp, k.mul(ig, gg));
      state = k.mul(og, k.tanh(cell));
      k.store(pick(k, real, cell, cp), cNew, i);
      keep(0, ig), keep(1, fg), keep(2, gg), keep(3, og);
    } else if (s.gru()) {
      Value r = k.sigmoid(k.add(xPart(0), hPart(0)));
      Value z = k.sigmoid(k.add(xPart(1), hPart(1)));
      Value hn = hPart(2);
      Value nn = k.tanh(k.fma(r, hn, xPart(2)));
      // (1 - z) n + z h = n + z (h - n)
      state = k.fma(z, k.sub(prev, nn), nn);
      keep(0, r), keep(1, z), keep(2, nn), keep(3, hn);
    } else {
      Value pre = k.add(xPart(0), hPart(0));
      state = c.mode == RecurrentMode::rnn_relu ? k.max(pre, k.f32(0))
                                                : k.tanh(pre);
    }
    k.store(pick(k, real, state, prev), hNew, i);
    k.store(pick(k, real, state, k.f32(0)), y, at(k, b, s.yStride, j));
  });
  k.finish(KernelBuilder::gridFor(n));
}

void buildCellGrad(Operation *op, const Stack &s, gpu::GPUModuleOp module,
                   StringRef name) {
  const RecurrentConfig &c = s.c;
  int64_t h = c.hidden, n = c.batch * h;
  SmallVector<KernelArg> args = {
      KernelArg::buffer(s.whole(c.directions * h), "rnn_dy"),
      KernelArg::buffer(s.step(h), "rnn_dh")};
  if (s.lstm())
    args.push_back(KernelArg::buffer(s.step(h), "rnn_dc"));
  if (s.saved)
    args.push_back(KernelArg::buffer(s.step(s.saved), "rnn_gates"));
  // GRU: the previous state; LSTM: the previous and the new cell; RNN:
  // the new state.
  if (s.gru())
    args.push_back(KernelArg::buffer(s.step(h), "rnn_h_prev"));
  if (s.lstm()) {
    args.push_back(KernelArg::buffer(s.step(h), "rnn_c_prev"));
    args.push_back(KernelArg::buffer(s.step(h), "rnn_c"));
  }
  if (!s.gru() && !s.lstm())
    args.push_back(KernelArg::buffer(s.step(h), "rnn_h"));
  if (c.hasMask)
    args.push_back(KernelArg::buffer(c.seq * c.batch, "rnn_mask"));
  args.push_back(KernelArg::buffer(s.whole(s.g), "rnn_dgx"));
  args.push_back(KernelArg::buffer(s.step(s.g), "rnn_dgh"));
  KernelBuilder k(module, op, (name + "_cell_grad").str(), args);
  unsigned next = 0;
  Value dy = k.arg(next++), dh = k.arg(next++);
  Value dc = s.lstm() ? k.arg(next++) : Value();
  Value saved = s.saved ? k.arg(next++) : Value();
  Value hPrev = s.gru() ? k.arg(next++) : Value();
  Value cPrev = s.lstm() ? k.arg(next++) : Value();
  Value cNew = s.lstm() ? k.arg(next++) : Value();
  Value hNew = !s.gru() && !s.lstm() ? k.arg(next++) : Value();
  Value mask = c.hasMask ? k.arg(next++) : Value();
  Value dgx = k.arg(next++), dgh = k.arg(next++);
  k.gridStrideLoop(n, [&](Value i) {
    auto [b, j] = unitOf(k, i, h);
    Value real = realStep(k, mask, b, s.maskStride);
    auto gate = [&](int64_t q) {
      return k.load(saved, at(k, b, s.saved, k.add(j, k.index(q * h))));
    };
    // A step past the sequence's length passes the state's cotangent on
    // and gives the gates none.
    Value zero = k.f32(0), one = k.f32(1);
    auto put = [&](int64_t q, Value toX, Value toH) {
      k.store(pick(k, real, toX, zero), dgx,
              at(k, b, s.gxStride, k.add(j, k.index(q * h))));
      k.store(pick(k, real, toH, zero), dgh,
              at(k, b, s.gh, k.add(j, k.index(q * h))));
    };
    Value carried = k.load(dh, i);
    Value dht = k.add(carried, k.load(dy, at(k, b, s.yStride, j)));
    // d sigmoid = a (1 - a), d tanh = 1 - a^2, from the activation a.
    auto dSigmoid = [&](Value a) { return k.mul(a, k.sub(one, a)); };
    auto dTanh = [&](Value a) { return k.sub(one, k.mul(a, a)); };
    if (s.lstm()) {
      Value ig = gate(0), fg = gate(1), gg = gate(2), og = gate(3);
      Value cell = k.load(cNew, i), tc = k.tanh(cell);
      Value dcCarried = k.load(dc, i);
      Value dct = k.fma(k.mul(dht, og), dTanh(tc), dcCarried);
      Value di = k.mul(k.mul(dct, gg), dSigmoid(ig));
      Value df = k.mul(k.mul(dct, k.load(cPrev, i)), dSigmoid(fg));
      Value dg = k.mul(k.mul(dct, ig), dTanh(gg));
      Value dO = k.mul(k.mul(dht, tc), dSigmoid(og));
      put(0, di, di), put(1, df, df), put(2, dg, dg), put(3, dO, dO);
      k.store(pick(k, real, k.mul(dct, fg), dcCarried), dc, i);
      // The rest of dh_prev is dG W_hh.
      k.store(pick(k, real, zero, carried), dh, i);
    } else if (s.gru()) {
      Value r = gate(0), z = gate(1), nn = gate(2), hn = gate(3);
      Value hp = k.load(hPrev, i);
      Value dnPre = k.mul(k.mul(dht, k.sub(one, z)), dTanh(nn));
      Value dzPre = k.mul(k.mul(dht, k.sub(hp, nn)), dSigmoid(z));
      Value drPre = k.mul(k.mul(dnPre, hn), dSigmoid(r));
      put(0, drPre, drPre), put(1, dzPre, dzPre),
          put(2, dnPre, k.mul(dnPre, r));
      k.store(pick(k, real, k.mul(dht, z), carried), dh, i);
    } else {
      Value a = k.load(hNew, i);
      Value d = c.mode == RecurrentMode::rnn_relu
                    ? k.select(k.gt(a, zero), dht, zero)
                    : k.mul(dht, dTanh(a));
      put(0, d, d);
      k.store(pick(k, real, zero, carried), dh, i);
    }
  });
  k.finish(KernelBuilder::gridFor(n));
}

/// `<name>_dropout_<l>`: the output of layer l through its mask (the CPU
/// runtime's layerDropoutKey and its probability: --dropout does not
/// replace it), in place or into the next layer's input.
void buildLayerDropouts(Operation *op, const Stack &s, gpu::GPUModuleOp module,
                        StringRef name) {
  const RecurrentConfig &c = s.c;
  if (c.dropout <= 0)
    return;
  int64_t n = s.whole(c.directions * c.hidden);
  OpBuilder types(op->getContext());
  std::string p = formatDouble(c.dropout);
  for (int64_t l = 0; l + 1 < c.layers; ++l) {
    std::string layer = std::to_string(l);
    KernelBuilder k(
        module, op, (name + "_dropout_" + layer).str(),
        {KernelArg::buffer(n, "rnn_layer_out"),
         KernelArg::buffer(n, "rnn_layer_in"),
         KernelArg::scalar(types.getI32Type(), "rnn_dropout_k1=" + layer),
         KernelArg::scalar(types.getI32Type(), "rnn_dropout_k2=" + layer),
         KernelArg::scalar(types.getI32Type(), "rnn_dropout_threshold=" + p),
         KernelArg::scalar(types.getF32Type(), "rnn_dropout_scale=" + p)});
    k.dropoutLoop(n, k.arg(0), k.arg(1), k.arg(2), k.arg(3), k.arg(4), k.arg(5),
                  Value());
  }
}

template <typename OpT> void addForward(GPUKernelPatterns &patterns) {
  addKernel<OpT>(patterns, [](OpT op, gpu::GPUModuleOp module, StringRef name) {
    Stack s(op.getConfig());
    buildCell(op, s, module, name);
    buildLayerDropouts(op, s, module, name);
    return success();
  });
}

} // namespace

void nngc::populateRecurrentGPUKernelPatterns(GPUKernelPatterns &patterns) {
  addForward<RNNOp>(patterns);
  addForward<GRUOp>(patterns);
  addForward<LSTMOp>(patterns);
  addKernel<RNNGradOp>(
      patterns, [](RNNGradOp op, gpu::GPUModuleOp module, StringRef name) {
        Stack s(op.getConfig());
        buildCellGrad(op, s, module, name);
        buildLayerDropouts(op, s, module, name);
        return success();
      });
}
