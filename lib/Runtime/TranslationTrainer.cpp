//===- TranslationTrainer.cpp - Sequence-to-sequence translation ----------===//
//
// `train`, `eval` and `translate` for translation models: models whose
// inputs are source word ids "src" [B, S], optionally their padding mask
// "src_mask" (f32, B x S elements), the decoder's input ids "tgt_in"
// [B, T] and the labels "tgt_out" [B, T] of a cross-entropy with
// ignore_index = 0 (teacher forcing: tgt_in is <bos> then the target, and
// tgt_out the target then <eos>).
//
//   ./trainer train --data eng-fra.txt --epochs 20 --save t.safetensors
//   ./trainer eval --checkpoint t.safetensors --data eng-fra.txt
//   ./trainer translate --checkpoint t.safetensors --text "I am cold." --beam 4
//
// Lines are `source<TAB>target[<TAB>...]`. Both sides are lowercased and
// split into words as the word vocabularies do (docs/Trainer.md,
// "Translation"); each language's vocabulary is built from the training
// split and kept in the checkpoint. The held-out split is a seeded fraction
// of the distinct source sentences, with all their translations, which are
// the references of corpus BLEU.
//
// Decoding (greedy or beam search) runs, where nngc-derive-step derived
// them, the compiled encode entry point once per batch of sources and the
// step entry point once per output token (its recurrent states and
// key/value caches carried from token to token, reordered between a beam
// search's hypotheses); `--decode full` (or a model without them) runs the
// whole model once per output position on the prefix instead. Both are
// exact for decoders whose position t depends on positions <= t only.
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"
#include "nngc/Runtime/Bleu.h"
#include "nngc/Runtime/Text.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

using namespace nngc::rt;

namespace {

struct PairInputs {
  const InputInfo *src = nullptr, *srcMask = nullptr, *tgtIn = nullptr,
                  *tgtOut = nullptr;
  const OutputInfo *logits = nullptr;
  int64_t batch = 0, srcLen = 0, tgtLen = 0, srcVocab = 0, tgtVocab = 0;
};

PairInputs pairInputs(const Manifest &m) {
  PairInputs r;
  for (const InputInfo &in : m.inputs) {
    if (in.name == "src" && in.isInt && !in.isLabel && in.vocab > 0)
      r.src = &in;
    else if (in.name == "tgt_in" && in.isInt && !in.isLabel && in.vocab > 0)
      r.tgtIn = &in;
    else if (in.name == "tgt_out" && in.isInt && in.isLabel)
      r.tgtOut = &in;
    else if (in.name == "src_mask" && !in.isInt)
      r.srcMask = &in;
    else
      return {};
  }
  if (!r.src || !r.tgtIn || !r.tgtOut || r.src->shape.size() != 2 ||
      r.tgtIn->shape != r.tgtOut->shape || r.tgtIn->shape.size() != 2)
    return {};
  r.batch = r.src->shape[0];
  r.srcLen = r.src->shape[1];
  r.tgtLen = r.tgtIn->shape[1];
  r.srcVocab = r.src->vocab;
  r.tgtVocab = r.tgtIn->vocab;
  if (r.srcMask && r.srcMask->numElements() != r.batch * r.srcLen)
    return {};
  for (const OutputInfo &o : m.outputs)
    if (o.shape.size() == 3 && o.shape[0] == r.batch && o.shape[1] == r.tgtLen)
      r.logits = &o;
  return r;
}

void checkShapes(const PairInputs &pi) {
  if (pi.tgtOut->classes != pi.tgtVocab)
    throw std::runtime_error(
        "the target embedding has " + std::to_string(pi.tgtVocab) +
        " rows but the decoder predicts " + std::to_string(pi.tgtOut->classes) +
        " classes; they must be one vocabulary");
  if (!pi.logits || pi.logits->shape[2] != pi.tgtVocab)
    throw std::runtime_error(
        "the model has no [batch, " + std::to_string(pi.tgtLen) + ", " +
        std::to_string(pi.tgtVocab) + "] output (the logits) to decode with");
}

/// Lowercase (ASCII) with U+00A0 and U+202F (French typography's spaces
/// before punctuation) made plain spaces.
std::string normalize(std::string s) {
  for (const char *nbsp : {"\xc2\xa0", "\xe2\x80\xaf"})
    for (size_t p; (p = s.find(nbsp)) != std::string::npos;)
      s.replace(p, std::strlen(nbsp), " ");
  for (char &c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

struct Pair {
  std::string src, tgt;
};

std::vector<Pair> readPairs(const std::string &path) {
  std::istringstream in(readTextFile(path));
  std::vector<Pair> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos)
      throw std::runtime_error(path + ":" + std::to_string(n) +
                               ": expected 'source<TAB>target'");
    size_t end = line.find('\t', tab + 1);
    Pair p{normalize(line.substr(0, tab)),
           normalize(line.substr(tab + 1, end == std::string::npos
                                              ? std::string::npos
                                              : end - tab - 1))};
    if (wordTokens(p.src).empty() || wordTokens(p.tgt).empty())
      throw std::runtime_error(path + ":" + std::to_string(n) +
                               ": an empty source or target");
    out.push_back(std::move(p));
  }
  if (out.empty())
    throw std::runtime_error(path + ": no sentence pairs");
  return out;
}

/// The held-out pairs: those of a seeded `fraction` of the distinct
/// sources.
void splitPairs(const std::vector<Pair> &all, double fraction, uint64_t seed,
                std::vector<Pair> &train, std::vector<Pair> &val) {
  std::vector<std::string> sources;
  std::map<std::string, bool> seen;
  for (const Pair &p : all)
    if (seen.emplace(p.src, false).second)
      sources.push_back(p.src);
  std::mt19937_64 rng(seed ^ 0x5eedULL);
  std::shuffle(sources.begin(), sources.end(), rng);
  auto nVal = static_cast<size_t>(std::llround(fraction * sources.size()));
  for (size_t i = sources.size() - nVal; i < sources.size(); ++i)
    seen[sources[i]] = true;
  for (const Pair &p : all)
    (seen[p.src] ? val : train).push_back(p);
}

struct Vocabs {
  Vocabulary src, tgt;
  int64_t bos = 2, eos = 3;
};

struct Encoded {
  std::vector<std::vector<int64_t>> src, tgt; ///< tgt: words, no specials
  int64_t cut = 0;
};

Encoded encode(const std::vector<Pair> &pairs, const Vocabs &v,
               const PairInputs &pi) {
  Encoded e;
  for (const Pair &p : pairs) {
    std::vector<int64_t> s = v.src.encode(p.src), t = v.tgt.encode(p.tgt);
    // tgt_in is <bos> + words, tgt_out words + <eos>: T - 1 words fit.
    if (static_cast<int64_t>(s.size()) > pi.srcLen ||
        static_cast<int64_t>(t.size()) > pi.tgtLen - 1)
      ++e.cut;
    s.resize(std::min<size_t>(s.size(), pi.srcLen));
    t.resize(std::min<size_t>(t.size(), pi.tgtLen - 1));
    e.src.push_back(std::move(s));
    e.tgt.push_back(std::move(t));
  }
  return e;
}

/// Where a batch goes: the model's inputs, or the encode model's (which
/// has no target inputs).
struct BatchBuffers {
  int64_t *src = nullptr, *tgtIn = nullptr, *tgtOut = nullptr;
  float *mask = nullptr;
};

BatchBuffers modelBuffers(Model &model, const PairInputs &pi) {
  BatchBuffers b;
  b.src = static_cast<int64_t *>(model.input(*pi.src));
  b.tgtIn = static_cast<int64_t *>(model.input(*pi.tgtIn));
  b.tgtOut = static_cast<int64_t *>(model.input(*pi.tgtOut));
  if (pi.srcMask)
    b.mask = static_cast<float *>(model.input(*pi.srcMask));
  return b;
}

/// Writes the sources of rows order[from, from + B) and, with `targets`,
/// the teacher-forced decoder inputs and labels (else <bos> alone); returns
/// the row count.
int64_t fillBatch(Model &model, const BatchBuffers &buf, const PairInputs &pi,
                  const Vocabs &v, const Encoded &e,
                  const std::vector<int64_t> &order, size_t from,
                  bool targets) {
  int64_t n = std::min<int64_t>(pi.batch, order.size() - from);
  std::fill(buf.src, buf.src + pi.batch * pi.srcLen, 0);
  if (buf.tgtIn)
    std::fill(buf.tgtIn, buf.tgtIn + pi.batch * pi.tgtLen, 0);
  if (buf.tgtOut)
    std::fill(buf.tgtOut, buf.tgtOut + pi.batch * pi.tgtLen, 0);
  if (buf.mask)
    std::fill(buf.mask, buf.mask + pi.batch * pi.srcLen, 0.f);
  for (int64_t b = 0; b < n; ++b) {
    const std::vector<int64_t> &s = e.src[order[from + b]];
    std::copy(s.begin(), s.end(), buf.src + b * pi.srcLen);
    if (buf.mask)
      std::fill(buf.mask + b * pi.srcLen, buf.mask + b * pi.srcLen + s.size(),
                1.f);
    if (!buf.tgtIn)
      continue;
    int64_t *in = buf.tgtIn, *out = buf.tgtOut;
    in[b * pi.tgtLen] = v.bos;
    if (!targets)
      continue;
    const std::vector<int64_t> &t = e.tgt[order[from + b]];
    std::copy(t.begin(), t.end(), in + b * pi.tgtLen + 1);
    std::copy(t.begin(), t.end(), out + b * pi.tgtLen);
    out[b * pi.tgtLen + t.size()] = v.eos;
  }
  model.ctx.validRows = n;
  return n;
}

/// The loss per target token (<eos> included) over all of `e`: each
/// batch's mean weighted by its tokens, so the figure does not depend on
/// the compiled batch.
double meanLoss(Model &model, const PairInputs &pi, const Vocabs &v,
                const Encoded &e) {
  std::vector<int64_t> order(e.src.size());
  std::iota(order.begin(), order.end(), 0);
  double tokens = 0;
  DeferredLossSum losses(model);
  for (size_t b = 0; b < order.size(); b += pi.batch) {
    int64_t n =
        fillBatch(model, modelBuffers(model, pi), pi, v, e, order, b, true);
    model.eval();
    double t = 0;
    for (int64_t i = 0; i < n; ++i)
      t += static_cast<double>(e.tgt[order[b + i]].size() + 1);
    losses.add(t);
    tokens += t;
  }
  double sum = losses.total();
  return tokens > 0 ? sum / tokens : 0;
}

/// The compiled incremental decoder: the encode model's source inputs,
/// the step model's token and position inputs and its logits.
struct StepDecoder {
  const StepInfo::Input *src = nullptr, *srcMask = nullptr;
  const StepInfo::Input *tokens = nullptr, *position = nullptr;
  const OutputInfo *logits = nullptr;
};

/// The model's step decoder, or why it has none that fits.
std::optional<StepDecoder> stepDecoder(const Manifest &m, const PairInputs &pi,
                                       std::string &why) {
  if (!m.step || !m.encode) {
    why = m.stepNote.empty() ? "the model has no encode and step entry points"
                             : m.stepNote;
    return std::nullopt;
  }
  StepDecoder d;
  for (const StepInfo::Input &in : m.encode->inputs) {
    if (in.name == pi.src->name && in.shape == pi.src->shape)
      d.src = &in;
    else if (pi.srcMask && in.name == pi.srcMask->name &&
             in.numElements() == pi.srcMask->numElements())
      d.srcMask = &in;
    else {
      why = "the encode model reads '" + in.name + "'";
      return std::nullopt;
    }
  }
  for (const StepInfo::Input &in : m.step->inputs) {
    if (in.name == pi.tgtIn->name && in.isInt &&
        in.shape == std::vector<int64_t>{pi.batch, 1})
      d.tokens = &in;
    else if (in.isPosition)
      d.position = &in;
    else if (in.carriedFrom.empty() && in.fromEncode.empty()) {
      why = "the step model reads '" + in.name + "'";
      return std::nullopt;
    }
  }
  d.logits = m.step->output(pi.logits->name);
  if (!d.src || !d.tokens || !d.logits ||
      d.logits->shape != std::vector<int64_t>{pi.batch, 1, pi.tgtVocab}) {
    why = "the step model's inputs or logits do not fit the translator's";
    return std::nullopt;
  }
  return d;
}

/// Writes the sources of order[from, from + B) to the encode model and
/// starts the step model's sequences from its outputs.
int64_t encodeBatch(Model &model, const StepDecoder &d, const PairInputs &pi,
                    const Vocabs &v, const Encoded &e,
                    const std::vector<int64_t> &order, size_t from) {
  BatchBuffers buf;
  buf.src = static_cast<int64_t *>(model.encodeInput(*d.src));
  if (d.srcMask)
    buf.mask = static_cast<float *>(model.encodeInput(*d.srcMask));
  int64_t n = fillBatch(model, buf, pi, v, e, order, from, false);
  model.encode();
  model.resetStepState();
  return n;
}

/// Greedy decoding of every source in `e`: the words (no specials).
/// `next(t)` runs position t and returns the logits of row 0 at t, then
/// each row `stride` floats further; `feed(i, t, tok)` gives row i's token
/// at t.
template <typename Next, typename Feed>
void greedyBatch(int64_t n, int64_t T, int64_t V, const Vocabs &v, Next next,
                 Feed feed, std::vector<std::vector<int64_t>> &result,
                 size_t first) {
  std::vector<bool> done(n, false);
  for (int64_t t = 0; t < T; ++t) {
    auto [logits, stride] = next(t);
    bool all = true;
    for (int64_t i = 0; i < n; ++i) {
      if (done[i])
        continue;
      const float *row = logits + i * stride;
      int64_t tok = std::max_element(row, row + V) - row;
      if (tok == v.eos) {
        done[i] = true;
        continue;
      }
      result[first + i].push_back(tok);
      feed(i, t + 1, tok);
      all = false;
    }
    if (all)
      break;
  }
}

std::vector<std::vector<int64_t>> greedy(Model &model, const PairInputs &pi,
                                         const Vocabs &v, const Encoded &e,
                                         const StepDecoder *d) {
  std::vector<std::vector<int64_t>> result(e.src.size());
  std::vector<int64_t> order(e.src.size());
  std::iota(order.begin(), order.end(), 0);
  int64_t V = pi.tgtVocab, T = pi.tgtLen;
  for (size_t b = 0; b < order.size(); b += pi.batch) {
    if (d) {
      int64_t n = encodeBatch(model, *d, pi, v, e, order, b);
      auto *tokens = static_cast<int64_t *>(model.stepInput(*d->tokens));
      std::fill(tokens, tokens + pi.batch, v.bos);
      auto next = [&](int64_t t) {
        if (t > 0)
          model.carryStepState();
        if (d->position)
          *static_cast<int64_t *>(model.stepInput(*d->position)) = t;
        model.step();
        return std::pair(model.stepOutput(*d->logits), V);
      };
      auto feed = [&](int64_t i, int64_t, int64_t tok) { tokens[i] = tok; };
      greedyBatch(n, T, V, v, next, feed, result, b);
      continue;
    }
    int64_t n =
        fillBatch(model, modelBuffers(model, pi), pi, v, e, order, b, false);
    auto *in = static_cast<int64_t *>(model.input(*pi.tgtIn));
    auto next = [&](int64_t t) {
      model.predict();
      return std::pair(model.output(*pi.logits) + t * V, T * V);
    };
    auto feed = [&](int64_t i, int64_t t, int64_t tok) {
      if (t < T)
        in[i * T + t] = tok;
    };
    greedyBatch(n, T, V, v, next, feed, result, b);
  }
  return result;
}

/// A beam search hypothesis: its words, their log-probability, and the
/// batch row whose logits extended it last.
struct Hyp {
  std::vector<int64_t> words;
  double logp = 0;
  bool done = false;
  int64_t row = 0;
  double score() const { return logp / double(words.size() + 1); }
};

/// Beam search with `k` beams for each of `groups` sources at once;
/// hypotheses are ranked by log-probability over length (the <eos>
/// counted). Group g's live hypotheses take rows g k, g k + 1, ... of the
/// batch. `next(live, rows, t)` runs position t for the live hypotheses
/// (live[i] on row rows[i]) and returns the logits of row 0 and the stride
/// between rows.
template <typename Next>
std::vector<std::vector<int64_t>> beamSearch(int64_t groups, int64_t k,
                                             int64_t T, int64_t V,
                                             const Vocabs &v, Next next) {
  std::vector<std::vector<Hyp>> beams(groups, std::vector<Hyp>(1));
  for (int64_t t = 0; t < T; ++t) {
    std::vector<const Hyp *> live;
    std::vector<int64_t> rows;
    for (int64_t g = 0; g < groups; ++g) {
      int64_t j = 0;
      for (const Hyp &h : beams[g])
        if (!h.done) {
          live.push_back(&h);
          rows.push_back(g * k + j++);
        }
    }
    if (live.empty())
      break;
    auto [logits, stride] = next(live, rows, t);
    std::vector<std::vector<Hyp>> expanded(groups);
    for (int64_t g = 0; g < groups; ++g)
      for (const Hyp &h : beams[g])
        if (h.done)
          expanded[g].push_back(h);
    for (size_t i = 0; i < live.size(); ++i) {
      const float *row = logits + rows[i] * stride;
      double mx = *std::max_element(row, row + V), z = 0;
      for (int64_t c = 0; c < V; ++c)
        z += std::exp(double(row[c]) - mx);
      double lse = mx + std::log(z);
      std::vector<int64_t> ids(V);
      std::iota(ids.begin(), ids.end(), 0);
      std::partial_sort(ids.begin(), ids.begin() + std::min<int64_t>(k, V),
                        ids.end(),
                        [&](int64_t a, int64_t b) { return row[a] > row[b]; });
      for (int64_t j = 0; j < std::min<int64_t>(k, V); ++j) {
        Hyp h = *live[i];
        h.row = rows[i];
        h.logp += double(row[ids[j]]) - lse;
        if (ids[j] == v.eos || t + 1 == T)
          h.done = true;
        if (ids[j] != v.eos)
          h.words.push_back(ids[j]);
        expanded[rows[i] / k].push_back(std::move(h));
      }
    }
    for (int64_t g = 0; g < groups; ++g) {
      std::stable_sort(
          expanded[g].begin(), expanded[g].end(),
          [](const Hyp &a, const Hyp &b) { return a.score() > b.score(); });
      expanded[g].resize(std::min<size_t>(expanded[g].size(), k));
    }
    beams = std::move(expanded);
  }
  std::vector<std::vector<int64_t>> best;
  for (const std::vector<Hyp> &b : beams)
    best.push_back(b.front().words);
  return best;
}

/// Beam search for every source in `e`, B / k sources per batch, each on
/// k rows.
std::vector<std::vector<int64_t>> beamSearch(Model &model, const PairInputs &pi,
                                             const Vocabs &v, const Encoded &e,
                                             int64_t k, const StepDecoder *d) {
  int64_t V = pi.tgtVocab, T = pi.tgtLen, perBatch = pi.batch / k;
  std::vector<std::vector<int64_t>> result;
  for (size_t first = 0; first < e.src.size(); first += perBatch) {
    auto groups =
        static_cast<int64_t>(std::min<size_t>(perBatch, e.src.size() - first));
    std::vector<int64_t> order; // row g k + j: source first + g
    for (int64_t g = 0; g < groups; ++g)
      order.insert(order.end(), k, static_cast<int64_t>(first + g));
    std::vector<std::vector<int64_t>> best;
    if (d) {
      encodeBatch(model, *d, pi, v, e, order, 0);
      auto *tokens = static_cast<int64_t *>(model.stepInput(*d->tokens));
      std::vector<int64_t> parents(pi.batch);
      best = beamSearch(
          groups, k, T, V, v,
          [&](const std::vector<const Hyp *> &live,
              const std::vector<int64_t> &rows, int64_t t) {
            if (t > 0) {
              // Each live hypothesis continues from the state of the row
              // that extended it.
              model.carryStepState();
              std::iota(parents.begin(), parents.end(), 0);
              for (size_t i = 0; i < live.size(); ++i)
                parents[rows[i]] = live[i]->row;
              model.reorderStepState(parents);
            }
            for (size_t i = 0; i < live.size(); ++i)
              tokens[rows[i]] =
                  live[i]->words.empty() ? v.bos : live[i]->words.back();
            if (d->position)
              *static_cast<int64_t *>(model.stepInput(*d->position)) = t;
            model.step();
            return std::pair(model.stepOutput(*d->logits), V);
          });
    } else {
      fillBatch(model, modelBuffers(model, pi), pi, v, e, order, 0, false);
      auto *in = static_cast<int64_t *>(model.input(*pi.tgtIn));
      best = beamSearch(groups, k, T, V, v,
                        [&](const std::vector<const Hyp *> &live,
                            const std::vector<int64_t> &rows, int64_t t) {
                          for (size_t i = 0; i < live.size(); ++i) {
                            int64_t *row = in + rows[i] * T;
                            std::fill(row, row + T, 0);
                            row[0] = v.bos;
                            const std::vector<int64_t> &w = live[i]->words;
                            std::copy(w.begin(), w.end(), row + 1);
                          }
                          model.predict();
                          return std::pair(model.output(*pi.logits) + t * V,
                                           T * V);
                        });
    }
    result.insert(result.end(), best.begin(), best.end());
  }
  return result;
}

std::vector<std::vector<int64_t>> decode(Model &model, const PairInputs &pi,
                                         const Vocabs &v, const Encoded &e,
                                         int64_t beam, const StepDecoder *d) {
  if (beam <= 1)
    return greedy(model, pi, v, e, d);
  return beamSearch(model, pi, v, e, beam, d);
}

/// `--decode auto|step|full`: the step decoder to use, or null.
std::optional<StepDecoder> chooseDecoder(const Manifest &m,
                                         const PairInputs &pi,
                                         const std::string &mode,
                                         std::string &note) {
  if (mode != "auto" && mode != "step" && mode != "full")
    throw std::runtime_error("--decode must be auto, step or full");
  std::string why;
  std::optional<StepDecoder> d = stepDecoder(m, pi, why);
  if (mode == "step" && !d)
    throw std::runtime_error("--decode step: " + why);
  if (mode == "full" || !d) {
    note = mode == "full" ? "the whole model per position (--decode full)"
                          : "the whole model per position (" + why + ")";
    return std::nullopt;
  }
  note = "the encode and step entry points";
  return d;
}

void addDecodeOption(po::options_description &desc, std::string &mode) {
  desc.add_options()(
      "decode", po::value(&mode)->default_value("auto"),
      "step: encode each batch of sources once, then one token per call "
      "through the compiled step entry point (states and key/value caches "
      "carried); full: rerun the whole model on the prefix per position; "
      "auto: step where the model has one");
}

struct Score {
  double loss = 0, bleu = 0, exact = 0;
  int64_t sources = 0;
};

/// Loss over `pairs`; BLEU and exact match of translations of each
/// distinct source against all its targets.
Score score(Model &model, const PairInputs &pi, const Vocabs &v,
            const std::vector<Pair> &pairs, int64_t beam,
            const StepDecoder *d) {
  Score s;
  s.loss = meanLoss(model, pi, v, encode(pairs, v, pi));
  std::vector<std::string> sources;
  std::map<std::string, std::vector<Tokens>> refs;
  for (const Pair &p : pairs) {
    auto [it, fresh] = refs.try_emplace(p.src);
    if (fresh)
      sources.push_back(p.src);
    it->second.push_back(wordTokens(p.tgt));
  }
  std::vector<Pair> distinct;
  for (const std::string &src : sources)
    distinct.push_back({src, src});
  Encoded e = encode(distinct, v, pi);
  std::vector<std::vector<int64_t>> out = decode(model, pi, v, e, beam, d);
  BleuStats bleu;
  int64_t exact = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    Tokens cand;
    for (int64_t id : out[i])
      cand.push_back(v.tgt.token(id));
    const std::vector<Tokens> &r = refs[sources[i]];
    bleu.add(cand, r);
    exact += std::find(r.begin(), r.end(), cand) != r.end();
  }
  s.sources = static_cast<int64_t>(sources.size());
  s.bleu = bleu.score();
  s.exact = s.sources ? double(exact) / s.sources : 0;
  return s;
}

std::string scoreText(const Score &s) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "loss %.4f  BLEU %.2f  exact %.1f%%", s.loss,
                100 * s.bleu, 100 * s.exact);
  return buf;
}

void storeVocabs(SafetensorsFile &f, const Vocabs &v) {
  f.metadata["nngc.src_vocab"] = v.src.toJson();
  f.metadata["nngc.tgt_vocab"] = v.tgt.toJson();
}

Vocabs loadVocabs(const SafetensorsFile &f, const std::string &path) {
  auto s = f.metadata.find("nngc.src_vocab");
  auto t = f.metadata.find("nngc.tgt_vocab");
  if (s == f.metadata.end() || t == f.metadata.end())
    throw std::runtime_error(path + ": no source and target vocabularies "
                                    "(nngc.src_vocab, nngc.tgt_vocab); was "
                                    "it written by this translator's train?");
  Vocabs v;
  try {
    v.src = Vocabulary::fromJson("word", s->second);
    v.tgt = Vocabulary::fromJson("word", t->second);
  } catch (const std::exception &e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  v.bos = v.tgt.find("<bos>");
  v.eos = v.tgt.find("<eos>");
  if (v.tgt.find("<pad>") != 0 || v.bos < 0 || v.eos < 0)
    throw std::runtime_error(path + ": the target vocabulary lacks <pad> "
                                    "(id 0), <bos> or <eos>");
  return v;
}

uint64_t checkpointSeed(const SafetensorsFile &f) {
  auto it = f.metadata.find("nngc.seed");
  return it == f.metadata.end() ? 0 : std::strtoull(it->second.c_str(), 0, 10);
}

} // namespace

bool nngc::rt::isTranslator(const Manifest &m) {
  return pairInputs(m).src != nullptr;
}

int nngc::rt::cmdTrainPairs(Model &model, int argc, char **argv) {
  std::string dataPath;
  int64_t epochs = 10, evalEvery = 1, beam = 1;
  double valSplit = 0.1;
  po::options_description desc("train options (translation)");
  desc.add_options()("help,h", "show this help")(
      "data", po::value(&dataPath)->required(),
      "source<TAB>target lines (.gz ok; more fields are ignored)")(
      "val-split", po::value(&valSplit)->default_value(0.1, "0.1"),
      "hold out this fraction of the distinct source sentences (seeded)")(
      "epochs", po::value(&epochs)->default_value(10),
      "passes over the training pairs in all (a resumed run continues to "
      "this epoch)")("eval-every", po::value(&evalEvery)->default_value(1),
                     "epochs between records (held-out loss and BLEU)")(
      "beam", po::value(&beam)->default_value(1),
      "beams for the held-out BLEU (1: greedy)");
  std::string decodeMode;
  addDecodeOption(desc, decodeMode);
  RunOptions runOptions;
  addRunOptions(desc, runOptions);
  OptimizerOptions optOptions;
  addOptimizerOptions(desc, optOptions);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm,
                    "usage: trainer train --data FILE [options]\n"))
    return 0;
  const Manifest &m = model.manifest;
  PairInputs pi = pairInputs(m);
  checkShapes(pi);
  requireTrainable(m);
  if (valSplit < 0 || valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
  if (epochs < 1 || evalEvery < 1 || beam < 1 || beam > pi.batch)
    throw std::runtime_error("--epochs and --eval-every must be at least 1, "
                             "--beam in [1, " +
                             std::to_string(pi.batch) + "] (the batch)");
  std::string decodeNote;
  std::optional<StepDecoder> dec = chooseDecoder(m, pi, decodeMode, decodeNote);
  TrainRun run(model, runOptions, vm, "pairs");
  applyOptimizerOptions(model, vm, optOptions);
  uint64_t seed = run.pos.seed;

  std::vector<Pair> train, val;
  splitPairs(readPairs(dataPath), valSplit, seed, train, val);
  if (train.empty())
    throw std::runtime_error("no training pairs left after the split");
  Vocabs v;
  std::ostringstream head;
  if (run.resumed) {
    v = loadVocabs(*run.resumed, runOptions.resume);
    head << run.resumedLine();
  } else {
    model.initParams(seed);
    std::string src, tgt;
    for (const Pair &p : train) {
      src += p.src + " ";
      tgt += p.tgt + " ";
    }
    v.src = Vocabulary::words(src, pi.srcVocab, /*padding=*/true);
    v.tgt = Vocabulary::words(tgt, pi.tgtVocab, /*padding=*/true,
                              {"<bos>", "<eos>"});
  }
  if (v.src.size() > pi.srcVocab || v.tgt.size() > pi.tgtVocab)
    throw std::runtime_error("the checkpoint's vocabularies do not fit the "
                             "model's embeddings");
  Encoded tr = encode(train, v, pi);
  uint64_t hash = 0;
  for (size_t i = 0; i < tr.src.size(); ++i) {
    hash = xxh64(tr.src[i].data(), tr.src[i].size() * 8, hash);
    hash = xxh64(tr.tgt[i].data(), tr.tgt[i].size() * 8, hash);
  }
  run.setDataHash(hash);
  head << "training " << m.model << " on " << train.size() << " pairs ("
       << val.size() << " held out), vocabularies " << v.src.size() << " and "
       << v.tgt.size() << " words, lengths " << pi.srcLen << " and "
       << pi.tgtLen << " (" << tr.cut << " cut), batch " << pi.batch
       << (run.job ? " on each of " + std::to_string(run.ranks()) + " ranks"
                   : std::string())
       << ", " << omp_get_max_threads() << " threads"
       << (pi.srcMask ? "" : "; no \"src_mask\" input: padding is not masked")
       << "\n";
  if (!val.empty())
    head << "held-out translations decode with " << decodeNote << "\n";
  run.info(head.str());
  auto nTrain = static_cast<int64_t>(tr.src.size());
  // In a job, a step takes a global batch (TrainRun::runEpochs).
  int64_t global = run.globalBatch(pi.batch);
  int64_t steps = (nTrain + global - 1) / global;
  run.setTotalSteps(epochs * steps);

  auto save = [&]() {
    SafetensorsFile f = model.checkpoint();
    f.metadata["epoch"] = std::to_string(run.pos.epoch - 1); // finished
    char split[32];
    std::snprintf(split, sizeof(split), "%.17g", valSplit);
    f.metadata["nngc.val_split"] = split;
    storeVocabs(f, v);
    run.save(std::move(f));
  };
  // Each epoch shuffles the previous epoch's order.
  std::vector<int64_t> order(tr.src.size());
  std::iota(order.begin(), order.end(), 0);
  auto fill = [&](const std::vector<int64_t> &o, int64_t b) {
    return fillBatch(model, modelBuffers(model, pi), pi, v, tr, o, b * pi.batch,
                     true);
  };
  auto endEpoch = [&](int64_t epoch) {
    if (epoch % evalEvery && epoch != epochs)
      return;
    double trainLoss = run.takeMeanLoss();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.4f", trainLoss);
    std::string line = "epoch " + std::to_string(epoch) + "  train loss " + buf;
    JsonLine json;
    json.add("epoch", epoch)
        .add("step", model.ctx.step)
        .add("train_loss", trainLoss);
    if (!val.empty()) {
      Score s = score(model, pi, v, val, beam, dec ? &*dec : nullptr);
      run.lastValLoss = s.loss;
      line += "  val " + scoreText(s);
      json.add("val_loss", s.loss)
          .add("val_bleu", s.bleu)
          .add("val_exact", s.exact);
    }
    std::snprintf(buf, sizeof(buf), "  %.1fs", secondsSince(run.startTime()));
    run.record(line + buf, json);
  };
  // The loss averages over the target tokens, <eos> included: in a job
  // each rank's share of a batch is its share of those.
  auto tokens = [&](int64_t row) {
    return static_cast<double>(tr.tgt[row].size() + 1);
  };
  if (int status = run.runEpochs(epochs, steps, order, /*cumulative=*/true,
                                 fill, endEpoch, save, tokens))
    return status;
  std::string tail = "done: " + std::to_string(model.ctx.step) + " steps";
  if (!runOptions.save.empty())
    tail += "; checkpoint " + runOptions.save;
  run.done(tail, JsonLine().add("done", model.ctx.step));
  return 0;
}

int nngc::rt::cmdEvalPairs(Model &model, int argc, char **argv,
                           bool translate) {
  std::string dataPath, checkpoint;
  std::vector<std::string> texts;
  int64_t beam = 1;
  double valSplit = 0.1;
  po::options_description desc(translate ? "translate options"
                                         : "eval options (translation)");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint)->required(),
      "a checkpoint written by train --save")(
      "data", po::value(&dataPath),
      translate ? "translate each line's first field"
                : "the pairs train read (the same held-out split)")(
      "beam", po::value(&beam)->default_value(1), "beams (1: greedy)");
  std::string decodeMode;
  addDecodeOption(desc, decodeMode);
  if (translate)
    desc.add_options()("text", po::value(&texts),
                       "a sentence to translate (repeatable)");
  else
    desc.add_options()(
        "val-split", po::value(&valSplit),
        "the fraction train held out (default: the checkpoint's; 0: score "
        "every pair of --data)");
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  PairInputs pi = pairInputs(model.manifest);
  checkShapes(pi);
  if (beam < 1 || beam > pi.batch)
    throw std::runtime_error("--beam must be in [1, " +
                             std::to_string(pi.batch) + "] (the batch)");
  std::string decodeNote;
  std::optional<StepDecoder> dec =
      chooseDecoder(model.manifest, pi, decodeMode, decodeNote);
  SafetensorsFile f = loadCheckpoint(model, checkpoint, false);
  Vocabs v = loadVocabs(f, checkpoint);
  auto split = f.metadata.find("nngc.val_split");
  if (!vm.count("val-split") && split != f.metadata.end())
    valSplit = std::strtod(split->second.c_str(), nullptr);
  if (valSplit < 0 || valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
  if (!translate) {
    if (dataPath.empty())
      throw std::runtime_error("give --data");
    std::vector<Pair> all = readPairs(dataPath), train, val;
    if (valSplit > 0)
      splitPairs(all, valSplit, checkpointSeed(f), train, val);
    else
      val = all;
    if (val.empty())
      throw std::runtime_error("no held-out pairs");
    Score s = score(model, pi, v, val, beam, dec ? &*dec : nullptr);
    std::cout << scoreText(s) << " on " << s.sources << " sources ("
              << val.size() << " pairs)\n";
    return 0;
  }
  std::vector<Pair> inputs;
  for (const std::string &t : texts)
    inputs.push_back({normalize(t), "-"});
  if (!dataPath.empty()) {
    std::istringstream in(readTextFile(dataPath));
    for (std::string line; std::getline(in, line);)
      if (line.find_first_not_of(" \t\r") != std::string::npos)
        inputs.push_back({normalize(line.substr(0, line.find('\t'))), "-"});
  }
  if (inputs.empty())
    throw std::runtime_error("give --text or --data");
  Encoded e = encode(inputs, v, pi);
  for (const std::vector<int64_t> &out :
       decode(model, pi, v, e, beam, dec ? &*dec : nullptr))
    std::cout << v.tgt.decode(out) << "\n";
  return 0;
}
