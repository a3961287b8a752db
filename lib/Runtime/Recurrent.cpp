//===- Recurrent.cpp - RNN, LSTM and GRU layer stacks on oneDNN -----------===//
//
// nn.rnn / nn.lstm / nn.gru and nn.rnn_grad. Each layer of the stack is one
// oneDNN RNN primitive (vanilla_rnn, lstm or lbr_gru) over both directions
// (bidirectional_concat); layers are separate primitives because their
// input sizes differ and PyTorch applies dropout between them.
//
// Parameters arrive in PyTorch's layouts, one tensor per layer, direction
// and kind. Each forward step packs them into oneDNN's user layout
// (ldgoi: per direction and gate, the [H, in] block PyTorch stores, with
// GRU's gates reordered and biases summed as below) and reorders that to
// the primitive's layout; the backward unpacks the weight gradients the same
// way. All buffers, primitives and reorders are made once in nngc_setup.
//
//   PyTorch gates         oneDNN gates               bias (oneDNN gate)
//   RNN   -                -                          b_ih + b_hh
//   LSTM  i f g o          i f c o (same order)       b_ih + b_hh
//   GRU   r z n            u=z r o=n (+ u' for lbr)   z, r: b_ih + b_hh;
//                                                      o: b_in; u': b_hn
//
//===----------------------------------------------------------------------===//

#include "DnnlUtils.h"
#include "nngc/Runtime/ABI.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

using namespace nngc::rt;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

namespace {

/// A oneDNN primitive and its argument map, built once; pointers are bound
/// with `bind` before each execution.
struct Exec {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;

  void run(Context &ctx) {
    prim.execute(ctx.dnnl->stream, args);
    ctx.dnnl->stream.wait();
  }
  void bind(int arg, const void *p) {
    args.at(arg).set_data_handle(const_cast<void *>(p));
  }
};

/// A reorder between two layouts of the same weights; nothing when the
/// layouts agree.
struct Reorder {
  std::optional<Exec> exec;

  void init(Context &ctx, const dnnl::memory::desc &from,
            const dnnl::memory::desc &to) {
    if (from == to)
      return;
    auto src = memoryFor(ctx, from), dst = memoryFor(ctx, to);
    exec.emplace();
    exec->prim = dnnl::reorder(src, dst);
    exec->args = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
  }
  /// Reorders `from` into `to` and returns `to`, or returns `from` when
  /// there is nothing to do.
  const float *run(Context &ctx, const float *from, float *to) {
    if (!exec)
      return from;
    exec->bind(DNNL_ARG_FROM, from);
    exec->bind(DNNL_ARG_TO, to);
    exec->run(ctx);
    return to;
  }
};

struct Layer {
  int64_t in = 0; ///< input features of this layer
  Exec fwd, bwd;
  bool hasBwd = false;
  /// User-layout (ldgoi / ldgo) parameters, packed each step, and the
  /// reorders to the forward and backward primitives' layouts.
  std::vector<float> wLayer, wIter, bias;
  Reorder wLayerFwd, wIterFwd, wLayerBwd, wIterBwd;
  std::vector<float> wLayerFwdBuf, wIterFwdBuf, wLayerBwdBuf, wIterBwdBuf;
  /// Weight gradients in the primitive's layout, then in the user layout
  /// (when they differ); the bias gradient (ldgo).
  std::vector<float> dwLayerPrim, dwIterPrim, dwLayer, dwIter, dbias;
  Reorder dwLayerOut, dwIterOut;
  std::vector<uint8_t> workspace;
};

struct RecurrentStack : Primitive {
  int32_t mode;
  int64_t layers, dirs, seq, batch, input, hidden, gates, biasGates;
  bool batchFirst, hasBias, hasInitial, backward;
  double dropout;
  int32_t slot;
  std::vector<Layer> stack;
  /// Output of layer l (l < layers - 1), before dropout, and the input of
  /// layer l + 1 (after dropout; aliases the output without it).
  std::vector<std::vector<float>> out, next;
  /// Cotangents of layer inputs above layer 0.
  std::vector<std::vector<float>> dnext;
  /// Zero initial states and scratch state cotangents, for a stack without
  /// `initial` operands.
  std::vector<float> zeros, scratch;

  bool isLSTM() const { return mode == NNGC_LSTM; }
  bool isGRU() const { return mode == NNGC_GRU; }
  int64_t statesPerLayer() const { return dirs * batch * hidden; }
  int64_t layerData(int64_t features) const { return seq * batch * features; }
  /// The PyTorch gate that oneDNN gate `g` is.
  int64_t torchGate(int64_t g) const { return isGRU() && g < 2 ? 1 - g : g; }
  bool dropoutAfter(int64_t l, bool training) const {
    return training && dropout > 0 && l + 1 < layers;
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Primitive creation
//===----------------------------------------------------------------------===//

static dnnl::rnn_direction directionOf(int64_t dirs) {
  return dirs == 2 ? dnnl::rnn_direction::bidirectional_concat
                   : dnnl::rnn_direction::unidirectional_left2right;
}

namespace {
/// The memory descriptors of one layer.
struct LayerDescs {
  dnnl::memory::desc srcLayer, iter, wLayerAny, wIterAny, wLayerUser, wIterUser,
      bias, dstLayer;
};
} // namespace

/// An unbound memory for every argument `pd` has (forward and backward
/// primitives share these).
template <typename PD>
static void addArgs(Context &ctx, Exec &e, const PD &pd) {
  auto add = [&](int arg, const dnnl::memory::desc &md) {
    if (md.get_size() > 0)
      e.args.emplace(arg, memoryFor(ctx, md));
  };
  add(DNNL_ARG_SRC_LAYER, pd.src_layer_desc());
  add(DNNL_ARG_SRC_ITER, pd.src_iter_desc());
  add(DNNL_ARG_SRC_ITER_C, pd.src_iter_c_desc());
  add(DNNL_ARG_WEIGHTS_LAYER, pd.weights_layer_desc());
  add(DNNL_ARG_WEIGHTS_ITER, pd.weights_iter_desc());
  add(DNNL_ARG_BIAS, pd.bias_desc());
  add(DNNL_ARG_DST_LAYER, pd.dst_layer_desc());
  add(DNNL_ARG_DST_ITER, pd.dst_iter_desc());
  add(DNNL_ARG_DST_ITER_C, pd.dst_iter_c_desc());
  add(DNNL_ARG_WORKSPACE, pd.workspace_desc());
}

/// The same for the cotangent arguments of a backward primitive.
template <typename PD>
static void addDiffArgs(Context &ctx, Exec &e, const PD &pd) {
  auto add = [&](int arg, const dnnl::memory::desc &md) {
    if (md.get_size() > 0)
      e.args.emplace(arg, memoryFor(ctx, md));
  };
  add(DNNL_ARG_DIFF_SRC_LAYER, pd.diff_src_layer_desc());
  add(DNNL_ARG_DIFF_SRC_ITER, pd.diff_src_iter_desc());
  add(DNNL_ARG_DIFF_SRC_ITER_C, pd.diff_src_iter_c_desc());
  add(DNNL_ARG_DIFF_WEIGHTS_LAYER, pd.diff_weights_layer_desc());
  add(DNNL_ARG_DIFF_WEIGHTS_ITER, pd.diff_weights_iter_desc());
  add(DNNL_ARG_DIFF_BIAS, pd.diff_bias_desc());
  add(DNNL_ARG_DIFF_DST_LAYER, pd.diff_dst_layer_desc());
  add(DNNL_ARG_DIFF_DST_ITER, pd.diff_dst_iter_desc());
  add(DNNL_ARG_DIFF_DST_ITER_C, pd.diff_dst_iter_c_desc());
}

/// Space for a reorder's destination, or none when there is no reorder.
static std::vector<float> bufferFor(const Reorder &r,
                                    const dnnl::memory::desc &to) {
  return std::vector<float>(r.exec ? to.get_size() / sizeof(float) : 0);
}

/// Creates layer `l`'s forward (and backward) primitives, its weight
/// reorders and buffers.
template <typename Fwd, typename Bwd>
static void
initLayer(Context &ctx, Layer &layer, const typename Fwd::primitive_desc &fwd,
          const typename Bwd::primitive_desc *bwd, const LayerDescs &d) {
  layer.fwd.prim = Fwd(fwd);
  addArgs(ctx, layer.fwd, fwd);
  layer.workspace.assign(fwd.workspace_desc().get_size(), 0);
  if (!layer.workspace.empty())
    layer.fwd.bind(DNNL_ARG_WORKSPACE, layer.workspace.data());
  layer.wLayerFwd.init(ctx, d.wLayerUser, fwd.weights_layer_desc());
  layer.wIterFwd.init(ctx, d.wIterUser, fwd.weights_iter_desc());
  layer.wLayerFwdBuf = bufferFor(layer.wLayerFwd, fwd.weights_layer_desc());
  layer.wIterFwdBuf = bufferFor(layer.wIterFwd, fwd.weights_iter_desc());
  if (!bwd)
    return;
  layer.hasBwd = true;
  layer.bwd.prim = Bwd(*bwd);
  addArgs(ctx, layer.bwd, *bwd);
  addDiffArgs(ctx, layer.bwd, *bwd);
  layer.bwd.bind(DNNL_ARG_WORKSPACE, layer.workspace.data());
  layer.wLayerBwd.init(ctx, d.wLayerUser, bwd->weights_layer_desc());
  layer.wIterBwd.init(ctx, d.wIterUser, bwd->weights_iter_desc());
  layer.wLayerBwdBuf = bufferFor(layer.wLayerBwd, bwd->weights_layer_desc());
  layer.wIterBwdBuf = bufferFor(layer.wIterBwd, bwd->weights_iter_desc());
  // Weight gradients: the primitive's layout, reordered to the user's.
  auto dwl = bwd->diff_weights_layer_desc(),
       dwi = bwd->diff_weights_iter_desc();
  layer.dwLayerPrim.assign(dwl.get_size() / sizeof(float), 0.f);
  layer.dwIterPrim.assign(dwi.get_size() / sizeof(float), 0.f);
  layer.bwd.bind(DNNL_ARG_DIFF_WEIGHTS_LAYER, layer.dwLayerPrim.data());
  layer.bwd.bind(DNNL_ARG_DIFF_WEIGHTS_ITER, layer.dwIterPrim.data());
  layer.bwd.bind(DNNL_ARG_DIFF_BIAS, layer.dbias.data());
  layer.dwLayerOut.init(ctx, dwl, d.wLayerUser);
  layer.dwIterOut.init(ctx, dwi, d.wIterUser);
  layer.dwLayer = bufferFor(layer.dwLayerOut, d.wLayerUser);
  layer.dwIter = bufferFor(layer.dwIterOut, d.wIterUser);
}

extern "C" void nngc_rt_rnn_init(void *c, int32_t slotId, int32_t mode,
                                 int64_t layers, int64_t dirs, int64_t seq,
                                 int64_t batch, int64_t input, int64_t hidden,
                                 int32_t flags, double dropout) {
  Context &ctx = ctxOf(c);
  auto s = std::make_unique<RecurrentStack>();
  s->mode = mode;
  s->layers = layers;
  s->dirs = dirs;
  s->seq = seq;
  s->batch = batch;
  s->input = input;
  s->hidden = hidden;
  s->gates = mode == NNGC_LSTM ? 4 : mode == NNGC_GRU ? 3 : 1;
  s->biasGates = mode == NNGC_GRU ? 4 : s->gates;
  s->batchFirst = flags & NNGC_RNN_BATCH_FIRST;
  s->hasBias = flags & NNGC_RNN_BIAS;
  s->hasInitial = flags & NNGC_RNN_INITIAL;
  s->backward = flags & NNGC_RNN_BACKWARD;
  s->dropout = dropout;
  s->slot = slotId;
  s->zeros.assign(s->statesPerLayer(), 0.f);
  s->scratch.assign(s->statesPerLayer(), 0.f);
  tag dataTag = s->batchFirst ? tag::ntc : tag::tnc;
  int64_t G = s->gates, H = hidden, D = dirs;
  auto prop = s->backward ? dnnl::prop_kind::forward_training
                          : dnnl::prop_kind::forward_inference;
  auto direction = directionOf(D);
  auto &eng = ctx.dnnl->engine;

  s->stack.resize(layers);
  for (int64_t l = 0; l < layers; ++l) {
    Layer &layer = s->stack[l];
    layer.in = l == 0 ? input : D * H;
    LayerDescs d;
    d.srcLayer = {{seq, batch, layer.in}, dt::f32, dataTag};
    d.iter = {{1, D, batch, H}, dt::f32, tag::ldnc};
    d.wLayerAny = {{1, D, layer.in, G, H}, dt::f32, tag::any};
    d.wIterAny = {{1, D, H, G, H}, dt::f32, tag::any};
    d.wLayerUser = {{1, D, layer.in, G, H}, dt::f32, tag::ldgoi};
    d.wIterUser = {{1, D, H, G, H}, dt::f32, tag::ldgoi};
    d.bias = {{1, D, s->biasGates, H}, dt::f32, tag::ldgo};
    d.dstLayer = {{seq, batch, D * H}, dt::f32, dataTag};
    layer.wLayer.assign(D * G * H * layer.in, 0.f);
    layer.wIter.assign(D * G * H * H, 0.f);
    layer.bias.assign(D * s->biasGates * H, 0.f);
    if (s->backward)
      layer.dbias.assign(layer.bias.size(), 0.f);
    auto &wl = d.wLayerAny, &wi = d.wIterAny;
    if (mode == NNGC_LSTM) {
      dnnl::lstm_forward::primitive_desc fwd({prop, direction, d.srcLayer,
                                              d.iter, d.iter, wl, wi, d.bias,
                                              d.dstLayer, d.iter, d.iter},
                                             eng);
      std::optional<dnnl::lstm_backward::primitive_desc> bwd;
      if (s->backward)
        bwd.emplace(dnnl::lstm_backward::desc(
                        dnnl::prop_kind::backward, direction, d.srcLayer,
                        d.iter, d.iter, wl, wi, d.bias, d.dstLayer, d.iter,
                        d.iter, d.srcLayer, d.iter, d.iter, wl, wi, d.bias,
                        d.dstLayer, d.iter, d.iter),
                    eng, fwd);
      initLayer<dnnl::lstm_forward, dnnl::lstm_backward>(
          ctx, layer, fwd, bwd ? &*bwd : nullptr, d);
    } else if (mode == NNGC_GRU) {
      dnnl::lbr_gru_forward::primitive_desc fwd({prop, direction, d.srcLayer,
                                                 d.iter, wl, wi, d.bias,
                                                 d.dstLayer, d.iter},
                                                eng);
      std::optional<dnnl::lbr_gru_backward::primitive_desc> bwd;
      if (s->backward)
        bwd.emplace(dnnl::lbr_gru_backward::desc(
                        dnnl::prop_kind::backward, direction, d.srcLayer,
                        d.iter, wl, wi, d.bias, d.dstLayer, d.iter, d.srcLayer,
                        d.iter, wl, wi, d.bias, d.dstLayer, d.iter),
                    eng, fwd);
      initLayer<dnnl::lbr_gru_forward, dnnl::lbr_gru_backward>(
          ctx, layer, fwd, bwd ? &*bwd : nullptr, d);
    } else {
      auto act = mode == NNGC_RNN_RELU ? dnnl::algorithm::eltwise_relu
                                       : dnnl::algorithm::eltwise_tanh;
      dnnl::vanilla_rnn_forward::primitive_desc fwd(
          {prop, act, direction, d.srcLayer, d.iter, wl, wi, d.bias, d.dstLayer,
           d.iter},
          eng);
      std::optional<dnnl::vanilla_rnn_backward::primitive_desc> bwd;
      if (s->backward)
        bwd.emplace(dnnl::vanilla_rnn_backward::desc(
                        dnnl::prop_kind::backward, act, direction, d.srcLayer,
                        d.iter, wl, wi, d.bias, d.dstLayer, d.iter, d.srcLayer,
                        d.iter, wl, wi, d.bias, d.dstLayer, d.iter),
                    eng, fwd);
      initLayer<dnnl::vanilla_rnn_forward, dnnl::vanilla_rnn_backward>(
          ctx, layer, fwd, bwd ? &*bwd : nullptr, d);
    }
    layer.fwd.bind(DNNL_ARG_BIAS, layer.bias.data());
    if (layer.hasBwd)
      layer.bwd.bind(DNNL_ARG_BIAS, layer.bias.data());
  }
  for (int64_t l = 0; l + 1 < layers; ++l) {
    s->out.emplace_back(s->layerData(D * H), 0.f);
    s->next.emplace_back(dropout > 0 ? s->layerData(D * H) : 0, 0.f);
    if (s->backward)
      s->dnext.emplace_back(s->layerData(D * H), 0.f);
  }
  store(ctx, slotId, std::move(s));
}

//===----------------------------------------------------------------------===//
// Parameter packing
//===----------------------------------------------------------------------===//

/// Copies PyTorch's weights of layer `l` into the user layouts: per
/// direction, oneDNN gate g's [H, in] block is PyTorch gate torchGate(g)'s.
static void packWeights(RecurrentStack &s, int64_t l,
                        const float *const *weights) {
  Layer &layer = s.stack[l];
  int64_t H = s.hidden, G = s.gates, per = s.hasBias ? 4 : 2;
  for (int64_t d = 0; d < s.dirs; ++d) {
    const float *const *w = weights + (l * s.dirs + d) * per;
    for (int64_t g = 0; g < G; ++g) {
      int64_t tg = s.torchGate(g);
      std::memcpy(&layer.wLayer[(d * G + g) * H * layer.in],
                  w[0] + tg * H * layer.in, H * layer.in * sizeof(float));
      std::memcpy(&layer.wIter[(d * G + g) * H * H], w[1] + tg * H * H,
                  H * H * sizeof(float));
    }
    if (!s.hasBias)
      continue;
    float *b = &layer.bias[d * s.biasGates * H];
    const float *bih = w[2], *bhh = w[3];
    for (int64_t g = 0; g < G; ++g) {
      int64_t tg = s.torchGate(g);
      bool separate = s.isGRU() && g == 2; // lbr: b_in alone, b_hn after
      for (int64_t o = 0; o < H; ++o)
        b[g * H + o] = bih[tg * H + o] + (separate ? 0.f : bhh[tg * H + o]);
    }
    if (s.isGRU())
      std::memcpy(b + 3 * H, bhh + 2 * H, H * sizeof(float));
  }
}

/// The inverse for gradients: writes layer `l`'s weight and bias
/// cotangents into PyTorch's tensors (both biases of a summed pair get the
/// same gradient).
static void unpackGradients(RecurrentStack &s, int64_t l, const float *dwLayer,
                            const float *dwIter, float *const *grads) {
  Layer &layer = s.stack[l];
  int64_t H = s.hidden, G = s.gates, per = s.hasBias ? 4 : 2;
  for (int64_t d = 0; d < s.dirs; ++d) {
    float *const *w = grads + (l * s.dirs + d) * per;
    for (int64_t g = 0; g < G; ++g) {
      int64_t tg = s.torchGate(g);
      std::memcpy(w[0] + tg * H * layer.in,
                  dwLayer + (d * G + g) * H * layer.in,
                  H * layer.in * sizeof(float));
      std::memcpy(w[1] + tg * H * H, dwIter + (d * G + g) * H * H,
                  H * H * sizeof(float));
    }
    if (!s.hasBias)
      continue;
    const float *b = &layer.dbias[d * s.biasGates * H];
    for (int64_t g = 0; g < G; ++g) {
      int64_t tg = s.torchGate(g);
      bool separate = s.isGRU() && g == 2;
      for (int64_t o = 0; o < H; ++o) {
        w[2][tg * H + o] = b[g * H + o];
        w[3][tg * H + o] = separate ? b[3 * H + o] : b[g * H + o];
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

namespace {
/// The operand pointers of a stack: input, initial states, weights.
struct Operands {
  const float *input, *h0, *c0;
  const float *const *weights;
};
} // namespace

static Operands splitOperands(const RecurrentStack &s,
                              const float *const *ops) {
  Operands o{ops[0], nullptr, nullptr, nullptr};
  int64_t i = 1;
  if (s.hasInitial) {
    o.h0 = ops[i++];
    if (s.isLSTM())
      o.c0 = ops[i++];
  }
  o.weights = ops + i;
  return o;
}

/// The input of layer l: the stack's input, or the (dropped-out) output of
/// the layer below.
static const float *layerInput(RecurrentStack &s, int64_t l, const float *input,
                               bool training) {
  if (l == 0)
    return input;
  return s.dropoutAfter(l - 1, training) ? s.next[l - 1].data()
                                         : s.out[l - 1].data();
}

static double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

static uint64_t layerDropoutKey(Context &ctx, const RecurrentStack &s,
                                int64_t l) {
  return dropoutKey(ctx, (static_cast<uint64_t>(s.slot) << 8) + l + 1);
}

extern "C" void nngc_rt_rnn(void *c, int32_t slotId, int32_t training,
                            const float *const *operands,
                            float *const *results) {
  Context &ctx = ctxOf(c);
  auto &s = slot<RecurrentStack>(ctx, slotId);
  Operands op = splitOperands(s, operands);
  int64_t states = s.statesPerLayer();
  for (int64_t l = 0; l < s.layers; ++l) {
    Layer &layer = s.stack[l];
    auto packStart = std::chrono::steady_clock::now();
    packWeights(s, l, op.weights);
    Exec &e = layer.fwd;
    e.bind(DNNL_ARG_WEIGHTS_LAYER,
           layer.wLayerFwd.run(ctx, layer.wLayer.data(),
                               layer.wLayerFwdBuf.data()));
    e.bind(DNNL_ARG_WEIGHTS_ITER, layer.wIterFwd.run(ctx, layer.wIter.data(),
                                                     layer.wIterFwdBuf.data()));
    ctx.rnnPackSeconds += secondsSince(packStart);
    e.bind(DNNL_ARG_SRC_LAYER, layerInput(s, l, op.input, training));
    e.bind(DNNL_ARG_SRC_ITER, op.h0 ? op.h0 + l * states : s.zeros.data());
    e.bind(DNNL_ARG_DST_LAYER,
           l + 1 == s.layers ? results[0] : s.out[l].data());
    e.bind(DNNL_ARG_DST_ITER, results[1] + l * states);
    if (s.isLSTM()) {
      e.bind(DNNL_ARG_SRC_ITER_C, op.c0 ? op.c0 + l * states : s.zeros.data());
      e.bind(DNNL_ARG_DST_ITER_C, results[2] + l * states);
    }
    e.run(ctx);
    if (s.dropoutAfter(l, training))
      applyDropout(layerDropoutKey(ctx, s, l), s.out[l].size(), s.dropout,
                   s.out[l].data(), s.next[l].data());
  }
}

extern "C" void nngc_rt_rnn_grad(void *c, int32_t slotId,
                                 const float *const *operands,
                                 const float *const *outputs,
                                 const float *const *outputGrads,
                                 float *const *operandGrads) {
  Context &ctx = ctxOf(c);
  auto &s = slot<RecurrentStack>(ctx, slotId);
  Operands op = splitOperands(s, operands);
  int64_t states = s.statesPerLayer();
  int64_t first = 1 + (s.hasInitial ? (s.isLSTM() ? 2 : 1) : 0);
  float *dh0 = s.hasInitial ? operandGrads[1] : nullptr;
  float *dc0 = s.hasInitial && s.isLSTM() ? operandGrads[2] : nullptr;
  float *const *dweights = operandGrads + first;
  for (int64_t l = s.layers - 1; l >= 0; --l) {
    Layer &layer = s.stack[l];
    Exec &e = layer.bwd;
    bool top = l + 1 == s.layers;
    // The cotangent of this layer's output: the stack's, or the one the
    // layer above computed for its input, through the dropout mask.
    const float *dout = outputGrads[0];
    if (!top) {
      float *dnext = s.dnext[l].data();
      if (s.dropoutAfter(l, true))
        applyDropout(layerDropoutKey(ctx, s, l), s.dnext[l].size(), s.dropout,
                     dnext, dnext);
      dout = dnext;
    }
    e.bind(DNNL_ARG_SRC_LAYER, layerInput(s, l, op.input, true));
    e.bind(DNNL_ARG_SRC_ITER, op.h0 ? op.h0 + l * states : s.zeros.data());
    auto packStart = std::chrono::steady_clock::now();
    e.bind(DNNL_ARG_WEIGHTS_LAYER,
           layer.wLayerBwd.run(ctx, layer.wLayer.data(),
                               layer.wLayerBwdBuf.data()));
    e.bind(DNNL_ARG_WEIGHTS_ITER, layer.wIterBwd.run(ctx, layer.wIter.data(),
                                                     layer.wIterBwdBuf.data()));
    ctx.rnnPackSeconds += secondsSince(packStart);
    e.bind(DNNL_ARG_DST_LAYER, top ? outputs[0] : s.out[l].data());
    e.bind(DNNL_ARG_DST_ITER, outputs[1] + l * states);
    e.bind(DNNL_ARG_DIFF_DST_LAYER, dout);
    e.bind(DNNL_ARG_DIFF_DST_ITER, outputGrads[1] + l * states);
    e.bind(DNNL_ARG_DIFF_SRC_LAYER,
           l == 0 ? operandGrads[0] : s.dnext[l - 1].data());
    e.bind(DNNL_ARG_DIFF_SRC_ITER, dh0 ? dh0 + l * states : s.scratch.data());
    if (s.isLSTM()) {
      e.bind(DNNL_ARG_SRC_ITER_C, op.c0 ? op.c0 + l * states : s.zeros.data());
      e.bind(DNNL_ARG_DST_ITER_C, outputs[2] + l * states);
      e.bind(DNNL_ARG_DIFF_DST_ITER_C, outputGrads[2] + l * states);
      e.bind(DNNL_ARG_DIFF_SRC_ITER_C,
             dc0 ? dc0 + l * states : s.scratch.data());
    }
    // oneDNN accumulates weight and bias gradients.
    std::fill(layer.dwLayerPrim.begin(), layer.dwLayerPrim.end(), 0.f);
    std::fill(layer.dwIterPrim.begin(), layer.dwIterPrim.end(), 0.f);
    std::fill(layer.dbias.begin(), layer.dbias.end(), 0.f);
    e.run(ctx);
    // Back to the user layout, then to PyTorch's tensors.
    packStart = std::chrono::steady_clock::now();
    const float *dwl = layer.dwLayerOut.run(ctx, layer.dwLayerPrim.data(),
                                            layer.dwLayer.data());
    const float *dwi =
        layer.dwIterOut.run(ctx, layer.dwIterPrim.data(), layer.dwIter.data());
    unpackGradients(s, l, dwl, dwi, dweights);
    ctx.rnnPackSeconds += secondsSince(packStart);
  }
}
