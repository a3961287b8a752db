//===- TextTrainer.cpp - train and sample language models -----------------===//
//
//   ./trainer train --data corpus.txt [--tokenizer char|word] --steps N ...
//   ./trainer sample --checkpoint C --prompt P --tokens N ...
//
// A language model is a model whose inputs are token ids [B, T] and the
// next token at each position [B, T] (the label of a cross-entropy). Each
// training step draws B random windows of T + 1 tokens from the training
// stream, as nanoGPT and char-rnn do; validation loss is the mean over a
// fixed set of random windows of the validation stream. See docs/Trainer.md.
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"
#include "nngc/Runtime/Text.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

using namespace nngc::rt;

namespace {

struct LMInputs {
  const InputInfo *ids = nullptr, *next = nullptr;
  int64_t batch = 0, seq = 0, vocab = 0;
};

LMInputs lmInputs(const Manifest &m) {
  LMInputs r;
  for (const InputInfo &in : m.inputs) {
    if (!in.isInt || in.shape.size() != 2)
      return {};
    (in.isLabel ? r.next : r.ids) = &in;
  }
  if (!r.ids || !r.next || r.ids->shape != r.next->shape ||
      m.inputs.size() != 2)
    return {};
  r.batch = r.ids->shape[0];
  r.seq = r.ids->shape[1];
  r.vocab = r.next->classes;
  return r;
}

/// The stream of token ids, and where windows may start.
struct Stream {
  std::vector<int64_t> ids;
  bool fits(int64_t seq) const {
    return static_cast<int64_t>(ids.size()) > seq + 1;
  }
};

/// Draws the windows of a global batch (`ranks` x B) at random offsets
/// and fills the model's inputs with this rank's B of them: the windows
/// one process with the global batch would have in rows
/// [rank B, (rank + 1) B).
void fillWindows(Model &model, const LMInputs &lm, const Stream &s,
                 std::mt19937_64 &rng, int rank = 0, int ranks = 1) {
  auto *ids = static_cast<int64_t *>(model.input(*lm.ids));
  auto *next = static_cast<int64_t *>(model.input(*lm.next));
  std::uniform_int_distribution<int64_t> pick(
      0, static_cast<int64_t>(s.ids.size()) - lm.seq - 1);
  for (int64_t g = 0; g < ranks * lm.batch; ++g) {
    int64_t start = pick(rng);
    if (g / lm.batch != rank)
      continue;
    int64_t b = g % lm.batch;
    std::memcpy(ids + b * lm.seq, s.ids.data() + start,
                lm.seq * sizeof(int64_t));
    std::memcpy(next + b * lm.seq, s.ids.data() + start + 1,
                lm.seq * sizeof(int64_t));
  }
  model.ctx.validRows = lm.batch;
}

/// Mean loss over `batches` global batches of windows drawn with a fixed
/// seed, so successive evaluations see the same text; in a job each rank
/// evaluates its shard of each.
double estimateLoss(Model &model, const LMInputs &lm, const Stream &s,
                    int64_t batches, uint64_t seed, TrainRun &run) {
  std::mt19937_64 rng(seed);
  DeferredLossSum losses(model);
  for (int64_t i = 0; i < batches; ++i) {
    fillWindows(model, lm, s, rng, run.rank(), run.ranks());
    model.eval();
    losses.add(1);
  }
  double sum = losses.total();
  run.sumAcrossRanks(&sum, 1, "the sum of the validation losses");
  return sum / (batches * run.ranks());
}

} // namespace

Vocabulary nngc::rt::checkpointVocabulary(const SafetensorsFile &f,
                                          const std::string &path) {
  auto kind = f.metadata.find("nngc.vocab_kind");
  auto tokens = f.metadata.find("nngc.vocab");
  if (kind == f.metadata.end() || tokens == f.metadata.end())
    throw std::runtime_error(path + ": no vocabulary (nngc.vocab) in the "
                                    "checkpoint; was it written by this "
                                    "model's train --save?");
  auto hash = f.metadata.find("nngc.vocab_hash");
  if (hash != f.metadata.end() &&
      hash->second !=
          hex64(xxh64(tokens->second.data(), tokens->second.size())))
    throw std::runtime_error(path + ": the vocabulary does not match its "
                                    "hash (nngc.vocab_hash)");
  try {
    return Vocabulary::fromJson(kind->second, tokens->second);
  } catch (const std::exception &e) {
    throw std::runtime_error(path + ": bad vocabulary: " + e.what());
  }
}

void nngc::rt::storeVocabulary(SafetensorsFile &f, const Vocabulary &v) {
  f.metadata["nngc.vocab_kind"] = v.kindName();
  std::string tokens = v.toJson();
  f.metadata["nngc.vocab_hash"] = hex64(xxh64(tokens.data(), tokens.size()));
  f.metadata["nngc.vocab"] = std::move(tokens);
}

bool nngc::rt::isLanguageModel(const Manifest &m) {
  return lmInputs(m).ids != nullptr;
}

int nngc::rt::cmdTrainText(Model &model, int argc, char **argv) {
  std::string dataPath, valPath, tokenizer = "char";
  int64_t steps = 1000, evalEvery = 100, evalBatches = 20;
  int64_t vocabSize = 0;
  double valSplit = 0.1;
  po::options_description desc("train options (language model)");
  desc.add_options()("help,h", "show this help")(
      "data", po::value(&dataPath)->required(), "training text (.gz ok)")(
      "val-data", po::value(&valPath), "validation text")(
      "val-split", po::value(&valSplit)->default_value(0.1),
      "validate on this final fraction of --data (nanoGPT's split)")(
      "tokenizer", po::value(&tokenizer)->default_value("char"),
      "char (bytes) or word")(
      "vocab-size", po::value(&vocabSize),
      "word vocabulary size, <unk> included (default: the model's)")(
      "steps", po::value(&steps)->default_value(1000),
      "optimizer steps in all (a resumed run continues to this step)")(
      "eval-every", po::value(&evalEvery)->default_value(100),
      "validation loss (a record, and a checkpoint) every this many steps "
      "(0: only at the end)")(
      "eval-batches", po::value(&evalBatches)->default_value(20),
      "batches of random validation windows per estimate");
  RunOptions runOptions;
  addRunOptions(desc, runOptions);
  OptimizerOptions optOptions;
  addOptimizerOptions(desc, optOptions);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm,
                    "usage: trainer train --data TEXT [options]\n"))
    return 0;
  const Manifest &m = model.manifest;
  LMInputs lm = lmInputs(m);
  requireTrainable(m);
  if (steps < 1 || evalEvery < 0 || evalBatches < 1)
    throw std::runtime_error("--steps and --eval-batches must be positive, "
                             "--eval-every not negative");
  if (valSplit < 0 || valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
  if (tokenizer != "char" && tokenizer != "word")
    throw std::runtime_error("--tokenizer must be char or word");
  TrainRun run(model, runOptions, vm, "tokens");
  applyOptimizerOptions(model, vm, optOptions);
  uint64_t seed = run.pos.seed;

  std::string text = readTextFile(dataPath);
  std::string valText;
  if (!valPath.empty()) {
    valText = readTextFile(valPath);
  } else if (valSplit > 0) {
    size_t cut = static_cast<size_t>(text.size() * (1 - valSplit));
    valText = text.substr(cut);
    text.resize(cut);
  }
  Vocabulary vocab;
  if (run.resumed) {
    vocab = checkpointVocabulary(*run.resumed, runOptions.resume);
  } else {
    model.initParams(seed);
    if (tokenizer == "char")
      vocab = Vocabulary::chars(text + valText);
    else
      vocab = Vocabulary::words(text,
                                vm.count("vocab-size") ? vocabSize : lm.vocab);
  }
  if (vocab.size() > lm.vocab)
    throw std::runtime_error(
        dataPath + ": the " + vocab.kindName() + " vocabulary has " +
        std::to_string(vocab.size()) + " tokens but the model predicts " +
        std::to_string(lm.vocab) +
        " classes (enlarge the embedding and output layer and recompile)");
  Stream train, val;
  try {
    train.ids = vocab.encode(text);
    val.ids = vocab.encode(valText);
  } catch (const std::exception &e) {
    throw std::runtime_error(dataPath + ": " + e.what());
  }
  if (!train.fits(lm.seq))
    throw std::runtime_error(dataPath + ": " +
                             std::to_string(train.ids.size()) +
                             " training tokens, fewer than one window of " +
                             std::to_string(lm.seq + 1));
  run.setDataHash(xxh64(train.ids.data(), train.ids.size() * sizeof(int64_t),
                        val.ids.size()));
  bool validate = val.fits(lm.seq);
  std::ostringstream head;
  if (run.resumed)
    head << "resumed from " << runOptions.resume << " (step " << model.ctx.step
         << ")\n";
  head << "training " << m.model << " on " << train.ids.size() << " tokens ("
       << vocab.kindName() << " vocabulary of " << vocab.size() << "), "
       << (validate ? std::to_string(val.ids.size()) : std::string("no"))
       << " validation tokens, windows of " << lm.seq << " x batch "
       << lm.batch;
  if (run.job)
    head << " on each of " << run.ranks() << " ranks (global batch "
         << run.globalBatch(lm.batch) << ")";
  head << ", " << steps << " steps, " << omp_get_max_threads() << " threads"
       << (run.job ? " per rank" : "") << "\n";
  run.info(head.str());
  run.setTotalSteps(steps);

  // The window generator: its state travels in the checkpoint, so a
  // resumed run draws the windows the uninterrupted one would have.
  std::mt19937_64 rng(seed * 7919 + 1);
  if (!run.pos.dataRng.empty()) {
    std::istringstream is(run.pos.dataRng);
    is >> rng;
    if (!is)
      throw std::runtime_error(runOptions.resume +
                               ": bad window generator state (nngc.data_rng)");
  }
  auto save = [&]() {
    std::ostringstream os;
    os << rng;
    run.pos.dataRng = os.str();
    SafetensorsFile f = model.checkpoint();
    storeVocabulary(f, vocab);
    run.save(std::move(f));
  };
  int64_t first = model.ctx.step;
  while (model.ctx.step < steps) {
    fillWindows(model, lm, train, rng, run.rank(), run.ranks());
    model.ctx.gradScale = 1.f / static_cast<float>(run.ranks());
    std::string where = "step " + std::to_string(model.ctx.step + 1) + "/" +
                        std::to_string(steps);
    run.train(where);
    run.stepDoneLater(1, lm.batch * lm.seq, where);
    int64_t step = model.ctx.step;
    bool evalNow = step == steps || (evalEvery && step % evalEvery == 0);
    if (evalNow) {
      double tokensPerS = run.throughput();
      double trainLoss = run.takeMeanLoss();
      char line[256];
      int n = std::snprintf(line, sizeof(line), "step %6lld  train loss %.4f",
                            (long long)step, trainLoss);
      JsonLine json;
      json.add("step", step).add("train_loss", trainLoss);
      if (validate) {
        double v =
            estimateLoss(model, lm, val, evalBatches, seed ^ 0xe7a1ULL, run);
        run.lastValLoss = v;
        n += std::snprintf(line + n, sizeof(line) - n, "  val loss %.4f", v);
        json.add("val_loss", v);
      }
      std::snprintf(line + n, sizeof(line) - n, "  %.1fs  %.0f tokens/s",
                    secondsSince(run.startTime()), tokensPerS);
      run.record(line, json);
    }
    if (evalNow || run.saveDue() || run.stopStatus())
      save();
    if (run.stopStatus() && step < steps)
      return run.stop(where);
  }
  std::ostringstream tail;
  tail << "done: " << model.ctx.step - first << " steps in "
       << secondsSince(run.startTime()) << " s";
  if (!runOptions.save.empty())
    tail << "; checkpoint " << runOptions.save;
  run.done(tail.str(), JsonLine().add("done", model.ctx.step));
  return 0;
}

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

int nngc::rt::cmdSample(Model &model, int argc, char **argv) {
  std::string checkpoint, prompt = "\n", output = "logits", mode = "auto";
  int64_t tokens = 200, topK = 0, shift = 1;
  double temperature = 1.0;
  uint64_t seed = 0;
  po::options_description desc("sample options");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint)->required(),
      "a language model's checkpoint (train --save)")(
      "prompt", po::value(&prompt)->default_value("\n", "newline"),
      "text to continue")("tokens", po::value(&tokens)->default_value(200),
                          "tokens to generate")(
      "temperature", po::value(&temperature)->default_value(1.0),
      "divide the logits by this (lower: more conservative)")(
      "top-k", po::value(&topK)->default_value(0),
      "sample among the k most likely tokens only (0: all)")(
      "seed", po::value(&seed)->default_value(0),
      "sampling seed")("output", po::value(&output)->default_value("logits"),
                       "the model output holding next-token logits [B, T, V]")(
      "mode", po::value(&mode)->default_value("auto"),
      "step: one token per call through the compiled step entry point, "
      "carrying the recurrent state or the attention caches; window: rerun "
      "the last T tokens per token; auto: step where the model has one (a "
      "Transformer's until its caches are full, then window)")(
      "shift", po::value(&shift)->default_value(1),
      "Transformers in step mode: once the caches hold T tokens, restart them "
      "from the last T - shift tokens (1: every token sees the last T, as in "
      "window mode; larger is faster, each token then sees T - shift to T)");
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm,
                    "usage: trainer sample --checkpoint C [options]\n"))
    return 0;
  const Manifest &m = model.manifest;
  LMInputs lm = lmInputs(m);
  if (!lm.ids)
    throw std::runtime_error("sample needs a language model: token ids [B, T] "
                             "in, next tokens [B, T] as a cross-entropy's "
                             "labels");
  if (mode != "auto" && mode != "step" && mode != "window")
    throw std::runtime_error("--mode must be auto, step or window");
  if (!(temperature > 0) || tokens < 0 || topK < 0)
    throw std::runtime_error("--temperature must be positive, --tokens and "
                             "--top-k not negative");
  if (shift < 1 || shift >= lm.seq)
    throw std::runtime_error("--shift must be in [1, " +
                             std::to_string(lm.seq) + ")");
  const OutputInfo *logits = nullptr;
  for (const OutputInfo &o : m.outputs)
    if (o.name == output)
      logits = &o;
  if (!logits || logits->shape.size() != 3 || logits->shape[0] != lm.batch ||
      logits->shape[1] != lm.seq)
    throw std::runtime_error("the model has no output '" + output +
                             "' of shape [B, T, V]");
  int64_t V = logits->shape[2];
  SafetensorsFile ckpt = loadCheckpoint(model, checkpoint, false);
  Vocabulary vocab = checkpointVocabulary(ckpt, checkpoint);
  std::vector<int64_t> ids;
  try {
    ids = vocab.encode(prompt);
  } catch (const std::exception &e) {
    throw std::runtime_error("--prompt: " + std::string(e.what()));
  }
  if (ids.empty())
    ids.push_back(0);
  const OutputInfo *stepLogits = m.step ? m.step->output(output) : nullptr;
  bool stepwise = mode == "step" || (mode == "auto" && m.step);
  if (stepwise && !m.step)
    throw std::runtime_error("--mode step: this model has no step entry "
                             "point: " +
                             m.stepNote);
  if (stepwise && (!stepLogits || stepLogits->numElements() != V))
    throw std::runtime_error("the step entry point has no output '" + output +
                             "' of shape [1, 1, V]");
  if (!stepwise && mode == "auto")
    std::cerr << "note: no step entry point (" << m.stepNote
              << "); each token reruns the last " << lm.seq << " tokens\n";
  std::cout << prompt << std::flush;

  std::mt19937_64 rng(seed);
  std::vector<double> p(V);
  std::vector<int64_t> order(V);
  // Draws the next token from logits `z` (temperature, top-k).
  auto draw = [&](const float *z) {
    std::iota(order.begin(), order.end(), 0);
    int64_t k = topK > 0 && topK < V ? topK : V;
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return z[a] > z[b]; });
    double mx = z[order[0]], sum = 0;
    for (int64_t i = 0; i < k; ++i)
      sum += p[i] = std::exp((z[order[i]] - mx) / temperature);
    double u = std::uniform_real_distribution<double>(0, sum)(rng);
    for (int64_t i = 0; i < k; ++i)
      if ((u -= p[i]) <= 0)
        return order[i];
    return order[k - 1];
  };
  // Prints the new token's text, with the spacing decode gives it after
  // the previous one.
  auto emit = [&](int64_t pick) {
    std::string before = vocab.decode({ids.back()});
    std::cout << vocab.decode({ids.back(), pick}).substr(before.size())
              << std::flush;
    ids.push_back(pick);
  };

  // Window mode: the last T tokens (fewer at first) in row 0; the model is
  // causal, so what follows them does not change the logits read.
  auto *in = static_cast<int64_t *>(model.input(*lm.ids));
  auto windowLogits = [&]() {
    int64_t n = std::min<int64_t>(lm.seq, ids.size());
    model.ctx.validRows = lm.batch;
    std::memset(in, 0, lm.batch * lm.seq * sizeof(int64_t));
    std::memcpy(in, ids.data() + ids.size() - n, n * sizeof(int64_t));
    model.predict();
    return model.output(*logits) + (n - 1) * V;
  };

  if (stepwise) {
    // The prompt, one token at a time from a zero state, then each drawn
    // token fed back: one step of compute per token. A model with
    // positions (a Transformer's key/value caches) sees at most the last T
    // tokens: once its caches are full it restarts them from the last
    // T - shift tokens, or (auto mode, shift 1) goes on in window mode,
    // one batched pass instead of T steps per token.
    int64_t *token = nullptr, *position = nullptr;
    for (const StepInfo::Input &si : m.step->inputs)
      if (si.isInt)
        (si.isPosition ? position : token) =
            static_cast<int64_t *>(model.stepInput(si));
    if (!token)
      throw std::runtime_error("the step entry point has no token input");
    int64_t pos = 0;
    auto feed = [&](int64_t id) {
      *token = id;
      if (position)
        *position = pos;
      model.step();
      model.carryStepState();
      ++pos;
    };
    auto prime = [&](size_t keep) {
      model.resetStepState();
      pos = 0;
      size_t n = position ? std::min<size_t>(keep, ids.size()) : ids.size();
      for (size_t i = ids.size() - n; i < ids.size(); ++i)
        feed(ids[i]);
    };
    bool windowWhenFull = mode == "auto" && position && shift == 1;
    bool window = false;
    prime(lm.seq);
    for (int64_t t = 0; t < tokens; ++t) {
      emit(draw(window ? windowLogits() : model.stepOutput(*stepLogits)));
      if (window)
        continue;
      if (!position || pos < lm.seq)
        feed(ids.back());
      else if (windowWhenFull)
        window = true;
      else // restart from the last T - shift + 1 tokens
        prime(lm.seq - shift + 1);
    }
    std::cout << "\n";
    return 0;
  }

  for (int64_t t = 0; t < tokens; ++t)
    emit(draw(windowLogits()));
  std::cout << "\n";
  return 0;
}
