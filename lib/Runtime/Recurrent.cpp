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
#include "RecurrentOperands.h"
#include "nngc/Runtime/ABI.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
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
  std::vector<dnnl_exec_arg_t> cArgs;

  void run(Context &ctx) { executeCached(ctx, prim, args, cArgs); }
  void bind(int arg, const void *p) {
    args.at(arg).set_data_handle(const_cast<void *>(p));
  }
};

/// A reorder between two layouts of the same weights; nothing when the
/// layouts agree. A plain permutation (both layouts strided, unblocked, as
/// ldgoi <-> ldigo) is a loop of ours: oneDNN 2.6's jit:uni reorder took
/// 7 ms for a 1x1x32x4x32 one (ONEDNN_VERBOSE, examples/lstm_forecast.mlir),
/// 15 of its 16 ms per training step; the loop takes microseconds.
struct Reorder {
  std::optional<Exec> exec;
  /// The plain permutation: dims, and both layouts' strides, ordered so
  /// that the destination's strides decrease (its last dim is innermost).
  int nd = 0;
  int64_t dims[DNNL_MAX_NDIMS], fromStrides[DNNL_MAX_NDIMS],
      toStrides[DNNL_MAX_NDIMS];

  static bool isPlain(const dnnl::memory::desc &md) {
    const dnnl_memory_desc_t &m = md.data;
    if (m.format_kind != dnnl_blocked || m.format_desc.blocking.inner_nblks ||
        m.offset0)
      return false;
    for (int i = 0; i < m.ndims; ++i)
      if (m.padded_dims[i] != m.dims[i] || m.padded_offsets[i])
        return false;
    return true;
  }

  void init(Context &ctx, const dnnl::memory::desc &from,
            const dnnl::memory::desc &to) {
    if (from == to)
      return;
    const dnnl_memory_desc_t &f = from.data, &t = to.data;
    if (isPlain(from) && isPlain(to) && f.ndims == t.ndims &&
        std::equal(f.dims, f.dims + f.ndims, t.dims)) {
      nd = f.ndims;
      int order[DNNL_MAX_NDIMS];
      std::iota(order, order + nd, 0);
      std::stable_sort(order, order + nd, [&](int a, int b) {
        return t.format_desc.blocking.strides[a] >
               t.format_desc.blocking.strides[b];
      });
      for (int i = 0; i < nd; ++i) {
        dims[i] = f.dims[order[i]];
        fromStrides[i] = f.format_desc.blocking.strides[order[i]];
        toStrides[i] = t.format_desc.blocking.strides[order[i]];
      }
      return;
    }
    auto src = memoryFor(ctx, from), dst = memoryFor(ctx, to);
    exec.emplace();
    exec->prim = dnnl::reorder(src, dst);
    exec->args = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
  }
  bool active() const { return exec || nd; }
  /// Reorders `from` into `to` and returns `to`, or returns `from` when
  /// there is nothing to do.
  const float *run(Context &ctx, const float *from, float *to) {
    if (nd) {
      copy(0, from, to);
      return to;
    }
    if (!exec)
      return from;
    exec->bind(DNNL_ARG_FROM, from);
    exec->bind(DNNL_ARG_TO, to);
    exec->run(ctx);
    return to;
  }

private:
  void copy(int d, const float *from, float *to) const {
    if (d + 1 == nd) {
      for (int64_t i = 0; i < dims[d]; ++i)
        to[i * toStrides[d]] = from[i * fromStrides[d]];
      return;
    }
    for (int64_t i = 0; i < dims[d]; ++i)
      copy(d + 1, from + i * fromStrides[d], to + i * toStrides[d]);
  }
};

/// One oneDNN primitive of a layer: both directions (bidirectional_concat),
/// or, with a mask, one direction (`dir`) of it.
struct Cell {
  int64_t dir = 0, dirs = 1;
  Exec fwd, bwd;
  /// Reorders of the user-layout weights to the forward and backward
  /// primitives' layouts, and their destinations.
  Reorder wLayerFwd, wIterFwd, wLayerBwd, wIterBwd;
  std::vector<float> wLayerFwdBuf, wIterFwdBuf, wLayerBwdBuf, wIterBwdBuf;
  /// Weight gradients in the primitive's layout when it is not the user's,
  /// and the reorders back.
  std::vector<float> dwLayerPrim, dwIterPrim;
  Reorder dwLayerOut, dwIterOut;
  std::vector<uint8_t> workspace;
  /// With a mask: this direction's output [T, B, H] and final states (the
  /// backward primitive reads what the forward wrote).
  std::vector<float> out, dstIter, dstIterC;

  size_t heldBytes() const {
    return bytesOf(wLayerFwdBuf) + bytesOf(wIterFwdBuf) +
           bytesOf(wLayerBwdBuf) + bytesOf(wIterBwdBuf) + bytesOf(dwLayerPrim) +
           bytesOf(dwIterPrim) + bytesOf(workspace) + bytesOf(out) +
           bytesOf(dstIter) + bytesOf(dstIterC);
  }
};

struct Layer {
  int64_t in = 0; ///< input features of this layer
  bool hasBwd = false;
  /// User-layout (ldgoi / ldgo) parameters of every direction, packed each
  /// step, and their gradients.
  std::vector<float> wLayer, wIter, bias, dwLayer, dwIter, dbias;
  std::vector<Cell> cells;
  /// With a mask and two directions: the input with each sequence shifted
  /// to end at step T - 1 (what the reverse direction reads), and scratch
  /// space for its cotangent.
  std::vector<float> shifted, dshifted;

  size_t heldBytes() const {
    size_t n = bytesOf(wLayer) + bytesOf(wIter) + bytesOf(bias) +
               bytesOf(dwLayer) + bytesOf(dwIter) + bytesOf(dbias) +
               bytesOf(shifted) + bytesOf(dshifted);
    for (const Cell &c : cells)
      n += c.heldBytes();
    return n;
  }
};

struct RecurrentStack : Primitive {
  int32_t mode;
  int64_t layers, dirs, seq, batch, input, hidden, gates, biasGates;
  bool batchFirst, hasBias, hasInitial, backward, masked;
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
  /// With a mask: each sequence's length, and the cotangent of one
  /// direction's output.
  std::vector<int64_t> lengths;
  std::vector<float> ddir;

  size_t heldBytes() const override {
    size_t n = bytesOf(out) + bytesOf(next) + bytesOf(dnext) + bytesOf(zeros) +
               bytesOf(scratch) + bytesOf(lengths) + bytesOf(ddir);
    for (const Layer &l : stack)
      n += l.heldBytes();
    return n;
  }

  bool isLSTM() const { return mode == NNGC_LSTM; }
  bool isGRU() const { return mode == NNGC_GRU; }
  int64_t statesPerLayer() const { return dirs * batch * hidden; }
  int64_t layerData(int64_t features) const { return seq * batch * features; }
  /// The row of step t of sequence b in a [T, B, F] or [B, T, F] buffer.
  int64_t row(int64_t t, int64_t b) const {
    return batchFirst ? b * seq + t : t * batch + b;
  }
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
  return std::vector<float>(r.active() ? to.get_size() / sizeof(float) : 0);
}

/// Elements of one direction's block of a user-layout (ldgoi) weight.
static int64_t perDirection(const dnnl::memory::desc &user, const Cell &cell) {
  return user.get_size() / sizeof(float) / cell.dirs;
}

/// Creates a cell's forward (and backward) primitives, its weight reorders
/// and buffers; its weight gradients go to `dwLayer`/`dwIter` (the layer's
/// user-layout gradients of its first direction) directly when the
/// primitive uses the user layout, else through a reorder.
template <typename Fwd, typename Bwd>
static void initCell(Context &ctx, Cell &cell, Layer &layer,
                     const typename Fwd::primitive_desc &fwd,
                     const typename Bwd::primitive_desc *bwd,
                     const LayerDescs &d, int64_t biasOffset) {
  cell.fwd.prim = Fwd(fwd);
  addArgs(ctx, cell.fwd, fwd);
  ctx.rnnScratchpadBytes =
      std::max(ctx.rnnScratchpadBytes, fwd.scratchpad_desc().get_size());
  cell.workspace.assign(fwd.workspace_desc().get_size(), 0);
  if (!cell.workspace.empty())
    cell.fwd.bind(DNNL_ARG_WORKSPACE, cell.workspace.data());
  cell.wLayerFwd.init(ctx, d.wLayerUser, fwd.weights_layer_desc());
  cell.wIterFwd.init(ctx, d.wIterUser, fwd.weights_iter_desc());
  cell.wLayerFwdBuf = bufferFor(cell.wLayerFwd, fwd.weights_layer_desc());
  cell.wIterFwdBuf = bufferFor(cell.wIterFwd, fwd.weights_iter_desc());
  cell.fwd.bind(DNNL_ARG_BIAS, layer.bias.data() + biasOffset);
  if (!bwd)
    return;
  layer.hasBwd = true;
  ctx.rnnScratchpadBytes =
      std::max(ctx.rnnScratchpadBytes, bwd->scratchpad_desc().get_size());
  cell.bwd.prim = Bwd(*bwd);
  addArgs(ctx, cell.bwd, *bwd);
  addDiffArgs(ctx, cell.bwd, *bwd);
  cell.bwd.bind(DNNL_ARG_WORKSPACE, cell.workspace.data());
  cell.bwd.bind(DNNL_ARG_BIAS, layer.bias.data() + biasOffset);
  cell.bwd.bind(DNNL_ARG_DIFF_BIAS, layer.dbias.data() + biasOffset);
  cell.wLayerBwd.init(ctx, d.wLayerUser, bwd->weights_layer_desc());
  cell.wIterBwd.init(ctx, d.wIterUser, bwd->weights_iter_desc());
  cell.wLayerBwdBuf = bufferFor(cell.wLayerBwd, bwd->weights_layer_desc());
  cell.wIterBwdBuf = bufferFor(cell.wIterBwd, bwd->weights_iter_desc());
  auto dwl = bwd->diff_weights_layer_desc(),
       dwi = bwd->diff_weights_iter_desc();
  cell.dwLayerOut.init(ctx, dwl, d.wLayerUser);
  cell.dwIterOut.init(ctx, dwi, d.wIterUser);
  cell.dwLayerPrim = bufferFor(cell.dwLayerOut, dwl);
  cell.dwIterPrim = bufferFor(cell.dwIterOut, dwi);
  cell.bwd.bind(DNNL_ARG_DIFF_WEIGHTS_LAYER,
                cell.dwLayerPrim.empty()
                    ? layer.dwLayer.data() +
                          cell.dir * perDirection(d.wLayerUser, cell)
                    : cell.dwLayerPrim.data());
  cell.bwd.bind(DNNL_ARG_DIFF_WEIGHTS_ITER,
                cell.dwIterPrim.empty()
                    ? layer.dwIter.data() +
                          cell.dir * perDirection(d.wIterUser, cell)
                    : cell.dwIterPrim.data());
}

/// Creates the primitives of one cell of `layer` over directions
/// [dir, dir + dirs) running in `direction`.
static void makeCell(Context &ctx, RecurrentStack &s, Layer &layer, int64_t dir,
                     int64_t dirs, dnnl::rnn_direction direction) {
  Cell &cell = layer.cells.emplace_back();
  cell.dir = dir;
  cell.dirs = dirs;
  tag dataTag = s.batchFirst ? tag::ntc : tag::tnc;
  int64_t G = s.gates, H = s.hidden, D = dirs, T = s.seq, B = s.batch;
  auto prop = s.backward ? dnnl::prop_kind::forward_training
                         : dnnl::prop_kind::forward_inference;
  auto &eng = dnnlOf(ctx).engine;
  LayerDescs d;
  d.srcLayer = {{T, B, layer.in}, dt::f32, dataTag};
  d.iter = {{1, D, B, H}, dt::f32, tag::ldnc};
  d.wLayerAny = {{1, D, layer.in, G, H}, dt::f32, tag::any};
  d.wIterAny = {{1, D, H, G, H}, dt::f32, tag::any};
  d.wLayerUser = {{1, D, layer.in, G, H}, dt::f32, tag::ldgoi};
  d.wIterUser = {{1, D, H, G, H}, dt::f32, tag::ldgoi};
  d.bias = {{1, D, s.biasGates, H}, dt::f32, tag::ldgo};
  d.dstLayer = {{T, B, D * H}, dt::f32, dataTag};
  int64_t biasOffset = dir * s.biasGates * H;
  auto &wl = d.wLayerAny, &wi = d.wIterAny;
  if (s.mode == NNGC_LSTM) {
    dnnl::lstm_forward::primitive_desc fwd({prop, direction, d.srcLayer, d.iter,
                                            d.iter, wl, wi, d.bias, d.dstLayer,
                                            d.iter, d.iter},
                                           eng);
    std::optional<dnnl::lstm_backward::primitive_desc> bwd;
    if (s.backward)
      bwd.emplace(dnnl::lstm_backward::desc(
                      dnnl::prop_kind::backward, direction, d.srcLayer, d.iter,
                      d.iter, wl, wi, d.bias, d.dstLayer, d.iter, d.iter,
                      d.srcLayer, d.iter, d.iter, wl, wi, d.bias, d.dstLayer,
                      d.iter, d.iter),
                  eng, fwd);
    initCell<dnnl::lstm_forward, dnnl::lstm_backward>(
        ctx, cell, layer, fwd, bwd ? &*bwd : nullptr, d, biasOffset);
  } else if (s.mode == NNGC_GRU) {
    dnnl::lbr_gru_forward::primitive_desc fwd({prop, direction, d.srcLayer,
                                               d.iter, wl, wi, d.bias,
                                               d.dstLayer, d.iter},
                                              eng);
    std::optional<dnnl::lbr_gru_backward::primitive_desc> bwd;
    if (s.backward)
      bwd.emplace(dnnl::lbr_gru_backward::desc(
                      dnnl::prop_kind::backward, direction, d.srcLayer, d.iter,
                      wl, wi, d.bias, d.dstLayer, d.iter, d.srcLayer, d.iter,
                      wl, wi, d.bias, d.dstLayer, d.iter),
                  eng, fwd);
    initCell<dnnl::lbr_gru_forward, dnnl::lbr_gru_backward>(
        ctx, cell, layer, fwd, bwd ? &*bwd : nullptr, d, biasOffset);
  } else {
    auto act = s.mode == NNGC_RNN_RELU ? dnnl::algorithm::eltwise_relu
                                       : dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::primitive_desc fwd({prop, act, direction,
                                                   d.srcLayer, d.iter, wl, wi,
                                                   d.bias, d.dstLayer, d.iter},
                                                  eng);
    std::optional<dnnl::vanilla_rnn_backward::primitive_desc> bwd;
    if (s.backward)
      bwd.emplace(dnnl::vanilla_rnn_backward::desc(
                      dnnl::prop_kind::backward, act, direction, d.srcLayer,
                      d.iter, wl, wi, d.bias, d.dstLayer, d.iter, d.srcLayer,
                      d.iter, wl, wi, d.bias, d.dstLayer, d.iter),
                  eng, fwd);
    initCell<dnnl::vanilla_rnn_forward, dnnl::vanilla_rnn_backward>(
        ctx, cell, layer, fwd, bwd ? &*bwd : nullptr, d, biasOffset);
  }
  if (s.masked) {
    cell.out.assign(s.layerData(H), 0.f);
    cell.dstIter.assign(B * H, 0.f);
    if (s.isLSTM())
      cell.dstIterC.assign(B * H, 0.f);
  }
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
  s->masked = flags & NNGC_RNN_MASK;
  s->dropout = dropout;
  s->slot = slotId;
  s->zeros.assign(s->statesPerLayer(), 0.f);
  s->scratch.assign(s->statesPerLayer(), 0.f);
  int64_t G = s->gates, H = hidden, D = dirs;

  s->stack.resize(layers);
  for (int64_t l = 0; l < layers; ++l) {
    Layer &layer = s->stack[l];
    layer.in = l == 0 ? input : D * H;
    layer.wLayer.assign(D * G * H * layer.in, 0.f);
    layer.wIter.assign(D * G * H * H, 0.f);
    layer.bias.assign(D * s->biasGates * H, 0.f);
    if (s->backward) {
      layer.dwLayer.assign(layer.wLayer.size(), 0.f);
      layer.dwIter.assign(layer.wIter.size(), 0.f);
      layer.dbias.assign(layer.bias.size(), 0.f);
    }
    // Without a mask, one primitive runs both directions; with one, each
    // direction is its own primitive, because the reverse one must read
    // each sequence from its own last step.
    layer.cells.reserve(D);
    if (!s->masked) {
      makeCell(ctx, *s, layer, 0, D, directionOf(D));
      continue;
    }
    makeCell(ctx, *s, layer, 0, 1,
             dnnl::rnn_direction::unidirectional_left2right);
    if (D == 2) {
      makeCell(ctx, *s, layer, 1, 1,
               dnnl::rnn_direction::unidirectional_right2left);
      layer.shifted.assign(s->layerData(layer.in), 0.f);
      if (s->backward)
        layer.dshifted.assign(s->layerData(layer.in), 0.f);
    }
  }
  for (int64_t l = 0; l + 1 < layers; ++l) {
    s->out.emplace_back(s->layerData(D * H), 0.f);
    s->next.emplace_back(dropout > 0 ? s->layerData(D * H) : 0, 0.f);
    if (s->backward)
      s->dnext.emplace_back(s->layerData(D * H), 0.f);
  }
  if (s->masked) {
    s->lengths.assign(batch, 0);
    if (s->backward)
      s->ddir.assign(s->layerData(H), 0.f);
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

/// The operand pointers of a stack: input, mask, initial states, weights.
using Operands = RecurrentOperands;

static Operands splitOperands(const RecurrentStack &s,
                              const float *const *ops) {
  return splitRecurrentOperands(ops, s.masked, s.hasInitial, s.isLSTM());
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

/// Reads each sequence's length off the mask (1s, then 0s); false, with
/// ctx.error set, if a row is not of that form.
static bool readLengths(Context &ctx, RecurrentStack &s, const float *mask) {
  for (int64_t b = 0; b < s.batch; ++b) {
    int64_t len = 0;
    while (len < s.seq && mask[s.row(len, b)] != 0.f)
      ++len;
    for (int64_t t = 0; t < s.seq; ++t)
      if (mask[s.row(t, b)] != (t < len ? 1.f : 0.f)) {
        ctx.error = "recurrent layer mask: sequence " + std::to_string(b) +
                    " is not 1s followed by 0s (step " + std::to_string(t) +
                    " is " + std::to_string(mask[s.row(t, b)]) + ")";
        return false;
      }
    s.lengths[b] = len;
  }
  return true;
}

/// The row of original step t of sequence b in the reverse direction's
/// shifted buffers, where each sequence ends at step T - 1.
static int64_t shiftedRow(const RecurrentStack &s, int64_t t, int64_t b) {
  return s.row(t + s.seq - s.lengths[b], b);
}

/// The weights of `cell` (a direction's block of the user layout), in the
/// layout its forward or backward primitive reads.
static void bindWeights(Context &ctx, const RecurrentStack &s, Layer &layer,
                        Cell &cell, bool bwd) {
  const float *wl =
      layer.wLayer.data() + cell.dir * layer.wLayer.size() / s.dirs;
  const float *wi = layer.wIter.data() + cell.dir * layer.wIter.size() / s.dirs;
  Exec &e = bwd ? cell.bwd : cell.fwd;
  e.bind(DNNL_ARG_WEIGHTS_LAYER,
         bwd ? cell.wLayerBwd.run(ctx, wl, cell.wLayerBwdBuf.data())
             : cell.wLayerFwd.run(ctx, wl, cell.wLayerFwdBuf.data()));
  e.bind(DNNL_ARG_WEIGHTS_ITER,
         bwd ? cell.wIterBwd.run(ctx, wi, cell.wIterBwdBuf.data())
             : cell.wIterFwd.run(ctx, wi, cell.wIterFwdBuf.data()));
}

/// Runs a masked layer's cells and assembles its output (0 past each
/// sequence's length) and final states (each sequence's last real step).
static void maskedForward(Context &ctx, RecurrentStack &s, int64_t l,
                          const float *x, const Operands &op, float *y,
                          float *hn, float *cn) {
  Layer &layer = s.stack[l];
  int64_t T = s.seq, B = s.batch, H = s.hidden, D = s.dirs;
  int64_t states = s.statesPerLayer();
  if (D == 2) {
    std::fill(layer.shifted.begin(), layer.shifted.end(), 0.f);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < s.lengths[b]; ++t)
        std::memcpy(&layer.shifted[shiftedRow(s, t, b) * layer.in],
                    x + s.row(t, b) * layer.in, layer.in * sizeof(float));
  }
  for (Cell &cell : layer.cells) {
    Exec &e = cell.fwd;
    int64_t state = l * states + cell.dir * B * H;
    e.bind(DNNL_ARG_SRC_LAYER, cell.dir == 0 ? x : layer.shifted.data());
    e.bind(DNNL_ARG_SRC_ITER, op.h0 ? op.h0 + state : s.zeros.data());
    e.bind(DNNL_ARG_DST_LAYER, cell.out.data());
    e.bind(DNNL_ARG_DST_ITER, cell.dstIter.data());
    if (s.isLSTM()) {
      e.bind(DNNL_ARG_SRC_ITER_C, op.c0 ? op.c0 + state : s.zeros.data());
      e.bind(DNNL_ARG_DST_ITER_C, cell.dstIterC.data());
    }
    e.run(ctx);
  }
  for (int64_t b = 0; b < B; ++b) {
    int64_t len = s.lengths[b];
    for (int64_t t = 0; t < T; ++t) {
      float *dst = y + s.row(t, b) * D * H;
      if (t >= len) {
        std::fill(dst, dst + D * H, 0.f);
        continue;
      }
      std::memcpy(dst, &layer.cells[0].out[s.row(t, b) * H], H * sizeof(float));
      if (D == 2)
        std::memcpy(dst + H, &layer.cells[1].out[shiftedRow(s, t, b) * H],
                    H * sizeof(float));
    }
    for (int64_t d = 0; d < D; ++d) {
      float *h = hn + l * states + (d * B + b) * H;
      if (len == 0) {
        const float *h0 =
            op.h0 ? op.h0 + l * states + (d * B + b) * H : s.zeros.data();
        std::memcpy(h, h0, H * sizeof(float));
        continue;
      }
      int64_t last = d == 0 ? s.row(len - 1, b) : s.row(T - len, b);
      std::memcpy(h, &layer.cells[d].out[last * H], H * sizeof(float));
    }
  }
  if (cn) // not computed with a mask (the verifier keeps it unused)
    std::fill(cn + l * states, cn + (l + 1) * states, 0.f);
}

extern "C" void nngc_rt_rnn(void *c, int32_t slotId, int32_t training,
                            const float *const *operands,
                            float *const *results) {
  Context &ctx = ctxOf(c);
  auto &s = slot<RecurrentStack>(ctx, slotId);
  Operands op = splitOperands(s, operands);
  if (s.masked && !readLengths(ctx, s, op.mask))
    return;
  int64_t states = s.statesPerLayer();
  for (int64_t l = 0; l < s.layers; ++l) {
    Layer &layer = s.stack[l];
    auto packStart = std::chrono::steady_clock::now();
    packWeights(s, l, op.weights);
    for (Cell &cell : layer.cells)
      bindWeights(ctx, s, layer, cell, false);
    ctx.rnnPackSeconds += secondsSince(packStart);
    const float *x = layerInput(s, l, op.input, training);
    float *y = l + 1 == s.layers ? results[0] : s.out[l].data();
    if (s.masked) {
      maskedForward(ctx, s, l, x, op, y, results[1],
                    s.isLSTM() ? results[2] : nullptr);
    } else {
      Exec &e = layer.cells[0].fwd;
      e.bind(DNNL_ARG_SRC_LAYER, x);
      e.bind(DNNL_ARG_SRC_ITER, op.h0 ? op.h0 + l * states : s.zeros.data());
      e.bind(DNNL_ARG_DST_LAYER, y);
      e.bind(DNNL_ARG_DST_ITER, results[1] + l * states);
      if (s.isLSTM()) {
        e.bind(DNNL_ARG_SRC_ITER_C,
               op.c0 ? op.c0 + l * states : s.zeros.data());
        e.bind(DNNL_ARG_DST_ITER_C, results[2] + l * states);
      }
      e.run(ctx);
    }
    if (s.dropoutAfter(l, training))
      applyDropout(layerDropoutKey(ctx, s, l), s.out[l].size(), s.dropout,
                   s.out[l].data(), s.next[l].data());
  }
}

/// Runs one cell's backward primitive. `dy` is the cotangent of its output
/// (`dstLayer`, `dstIter`, `dstIterC` what its forward wrote), `diter` and
/// `diterC` of its final states; it writes the input's cotangent to `dx`
/// and accumulates weight gradients in the cell's buffers.
static void cellBackward(Context &ctx, RecurrentStack &s, Cell &cell,
                         const float *x, const float *h0, const float *c0,
                         const float *dstLayer, const float *dstIter,
                         const float *dstIterC, const float *dy,
                         const float *diter, const float *diterC, float *dx,
                         float *dh0, float *dc0) {
  Exec &e = cell.bwd;
  e.bind(DNNL_ARG_SRC_LAYER, x);
  e.bind(DNNL_ARG_SRC_ITER, h0 ? h0 : s.zeros.data());
  e.bind(DNNL_ARG_DST_LAYER, dstLayer);
  e.bind(DNNL_ARG_DST_ITER, dstIter);
  e.bind(DNNL_ARG_DIFF_DST_LAYER, dy);
  e.bind(DNNL_ARG_DIFF_DST_ITER, diter);
  e.bind(DNNL_ARG_DIFF_SRC_LAYER, dx);
  e.bind(DNNL_ARG_DIFF_SRC_ITER, dh0 ? dh0 : s.scratch.data());
  if (s.isLSTM()) {
    e.bind(DNNL_ARG_SRC_ITER_C, c0 ? c0 : s.zeros.data());
    e.bind(DNNL_ARG_DST_ITER_C, dstIterC);
    e.bind(DNNL_ARG_DIFF_DST_ITER_C, diterC);
    e.bind(DNNL_ARG_DIFF_SRC_ITER_C, dc0 ? dc0 : s.scratch.data());
  }
  e.run(ctx);
}

extern "C" void nngc_rt_rnn_grad(void *c, int32_t slotId,
                                 const float *const *operands,
                                 const float *const *outputs,
                                 const float *const *outputGrads,
                                 float *const *operandGrads) {
  Context &ctx = ctxOf(c);
  auto &s = slot<RecurrentStack>(ctx, slotId);
  Operands op = splitOperands(s, operands);
  if (s.masked && !readLengths(ctx, s, op.mask))
    return;
  int64_t states = s.statesPerLayer();
  int64_t T = s.seq, B = s.batch, H = s.hidden, D = s.dirs;
  int64_t next = 1;
  if (s.masked) { // the mask's cotangent
    std::fill(operandGrads[next], operandGrads[next] + T * B, 0.f);
    ++next;
  }
  float *dh0 = s.hasInitial ? operandGrads[next++] : nullptr;
  float *dc0 = s.hasInitial && s.isLSTM() ? operandGrads[next++] : nullptr;
  float *const *dweights = operandGrads + next;
  for (int64_t l = s.layers - 1; l >= 0; --l) {
    Layer &layer = s.stack[l];
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
    const float *x = layerInput(s, l, op.input, true);
    float *dx = l == 0 ? operandGrads[0] : s.dnext[l - 1].data();
    auto packStart = std::chrono::steady_clock::now();
    for (Cell &cell : layer.cells)
      bindWeights(ctx, s, layer, cell, true);
    ctx.rnnPackSeconds += secondsSince(packStart);
    // oneDNN accumulates weight and bias gradients.
    for (Cell &cell : layer.cells) {
      std::fill(cell.dwLayerPrim.begin(), cell.dwLayerPrim.end(), 0.f);
      std::fill(cell.dwIterPrim.begin(), cell.dwIterPrim.end(), 0.f);
    }
    std::fill(layer.dwLayer.begin(), layer.dwLayer.end(), 0.f);
    std::fill(layer.dwIter.begin(), layer.dwIter.end(), 0.f);
    std::fill(layer.dbias.begin(), layer.dbias.end(), 0.f);
    if (!s.masked) {
      const float *c0 = op.c0 ? op.c0 + l * states : nullptr;
      cellBackward(
          ctx, s, layer.cells[0], x, op.h0 ? op.h0 + l * states : nullptr, c0,
          top ? outputs[0] : s.out[l].data(), outputs[1] + l * states,
          s.isLSTM() ? outputs[2] + l * states : nullptr, dout,
          outputGrads[1] + l * states,
          s.isLSTM() ? outputGrads[2] + l * states : nullptr, dx,
          dh0 ? dh0 + l * states : nullptr, dc0 ? dc0 + l * states : nullptr);
    } else {
      // Each direction's output cotangent in its own step order, plus the
      // cotangent of h_n at the step it was read from; nothing reaches the
      // steps past a sequence's length, so they add nothing to any
      // gradient.
      const float *dhn = outputGrads[1] + l * states;
      for (Cell &cell : layer.cells) {
        int64_t d = cell.dir, state = l * states + d * B * H;
        std::fill(s.ddir.begin(), s.ddir.end(), 0.f);
        for (int64_t b = 0; b < B; ++b) {
          int64_t len = s.lengths[b];
          for (int64_t t = 0; t < len; ++t) {
            int64_t r = d == 0 ? s.row(t, b) : shiftedRow(s, t, b);
            std::memcpy(&s.ddir[r * H], dout + s.row(t, b) * D * H + d * H,
                        H * sizeof(float));
          }
          if (len > 0) {
            int64_t last = d == 0 ? s.row(len - 1, b) : s.row(T - len, b);
            for (int64_t o = 0; o < H; ++o)
              s.ddir[last * H + o] += dhn[(d * B + b) * H + o];
          }
        }
        cellBackward(
            ctx, s, cell, d == 0 ? x : layer.shifted.data(),
            op.h0 ? op.h0 + state : nullptr, op.c0 ? op.c0 + state : nullptr,
            cell.out.data(), cell.dstIter.data(),
            s.isLSTM() ? cell.dstIterC.data() : nullptr, s.ddir.data(),
            s.zeros.data(), s.zeros.data(), d == 0 ? dx : layer.dshifted.data(),
            dh0 ? dh0 + state : nullptr, dc0 ? dc0 + state : nullptr);
        for (int64_t b = 0; b < B; ++b) {
          int64_t len = s.lengths[b];
          if (d == 1)
            for (int64_t t = 0; t < len; ++t) {
              float *to = dx + s.row(t, b) * layer.in;
              const float *from =
                  &layer.dshifted[shiftedRow(s, t, b) * layer.in];
              for (int64_t i = 0; i < layer.in; ++i)
                to[i] += from[i];
            }
          // An empty sequence's h_n is its initial state.
          if (len == 0 && dh0)
            for (int64_t o = 0; o < H; ++o)
              dh0[state + b * H + o] += dhn[(d * B + b) * H + o];
        }
      }
    }
    // Back to the user layout, then to PyTorch's tensors.
    packStart = std::chrono::steady_clock::now();
    int64_t perLayer = layer.dwLayer.size() / D,
            perIter = layer.dwIter.size() / D;
    for (Cell &cell : layer.cells) {
      if (!cell.dwLayerPrim.empty())
        cell.dwLayerOut.run(ctx, cell.dwLayerPrim.data(),
                            layer.dwLayer.data() + cell.dir * perLayer);
      if (!cell.dwIterPrim.empty())
        cell.dwIterOut.run(ctx, cell.dwIterPrim.data(),
                           layer.dwIter.data() + cell.dir * perIter);
    }
    unpackGradients(s, l, layer.dwLayer.data(), layer.dwIter.data(), dweights);
    ctx.rnnPackSeconds += secondsSince(packStart);
  }
}
