//===- SentenceTrainer.cpp - train and evaluate sentence classifiers ------===//
//
//   ./trainer train --data a.txt [--data b.txt] --val-split 0.1 --epochs 5
//   ./trainer eval --checkpoint C --data test.txt
//   ./trainer predict --checkpoint C --data sentences.txt
//
// A sentence classifier is a model whose inputs are token ids [B, T] (read
// by an nn.embedding), one class label per sentence [B] (a cross-entropy's)
// and, optionally, an f32 input named "mask" with B x T elements. Data files
// hold one `sentence<TAB>label` per line (a first line whose label is not a
// number is a header). Sentences are lowercased and split into words
// (Vocabulary::words); the vocabulary (<pad> = 0, <unk> = 1, then the most
// frequent training words, as many as the embedding has rows) goes into the
// checkpoint. Each sentence is cut to T tokens and padded with <pad>; the
// mask is 1 on its tokens and 0 on the padding. See docs/Trainer.md.
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"
#include "nngc/Runtime/Text.h"

#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

using namespace nngc::rt;

namespace {

struct SentenceInputs {
  const InputInfo *ids = nullptr, *label = nullptr, *mask = nullptr;
  int64_t batch = 0, seq = 0, classes = 0, vocab = 0;
};

SentenceInputs sentenceInputs(const Manifest &m) {
  SentenceInputs r;
  for (const InputInfo &in : m.inputs) {
    if (in.isInt && in.isLabel && in.shape.size() == 1)
      r.label = &in;
    else if (in.isInt && !in.isLabel && in.shape.size() == 2 && in.vocab > 0)
      r.ids = &in;
    else if (!in.isInt && in.name == "mask")
      r.mask = &in;
    else
      return {};
  }
  if (!r.ids || !r.label || r.label->classes < 2)
    return {};
  r.batch = r.ids->shape[0];
  r.seq = r.ids->shape[1];
  r.classes = r.label->classes;
  r.vocab = r.ids->vocab;
  if (r.mask && r.mask->numElements() != r.batch * r.seq)
    return {};
  return r;
}

struct Sentence {
  std::string text;
  int64_t label = 0;
  std::string where; ///< file:line, for errors
};

std::string lowercase(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool parseLabel(const std::string &s, int64_t &v) {
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long x = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end != '\0')
    return false;
  v = x;
  return true;
}

/// `sentence<TAB>label` lines (with `labelled`; otherwise a label after the
/// last tab is optional and ignored). Errors name file:line.
std::vector<Sentence> readSentences(const std::string &path, int64_t classes,
                                    bool labelled) {
  std::istringstream in(readTextFile(path));
  std::vector<Sentence> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    std::string where = path + ":" + std::to_string(n);
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    Sentence s;
    s.where = where;
    size_t tab = line.rfind('\t');
    s.text = lowercase(tab == std::string::npos ? line : line.substr(0, tab));
    if (labelled) {
      std::string field =
          tab == std::string::npos ? std::string() : line.substr(tab + 1);
      if (!parseLabel(field, s.label)) {
        if (n == 1 && tab != std::string::npos)
          continue; // a header such as "sentence<TAB>score"
        throw std::runtime_error(
            where +
            ": expected 'sentence<TAB>label' with an integer label, "
            "got '" +
            (field.empty() ? line : field) + "'");
      }
      if (s.label < 0 || s.label >= classes)
        throw std::runtime_error(where + ": label " + std::to_string(s.label) +
                                 " is outside the model's [0, " +
                                 std::to_string(classes) + ")");
    } else if (tab != std::string::npos) {
      int64_t ignored;
      if (!parseLabel(line.substr(tab + 1), ignored))
        s.text = lowercase(line);
    }
    if (wordTokens(s.text).empty())
      throw std::runtime_error(where + ": the sentence has no tokens");
    out.push_back(std::move(s));
  }
  if (out.empty())
    throw std::runtime_error(path + ": no sentences");
  return out;
}

/// Token ids, cut to the model's length.
struct Encoded {
  std::vector<std::vector<int64_t>> ids;
  std::vector<int64_t> labels;
  int64_t truncated = 0;
};

Encoded encode(const std::vector<Sentence> &ss, const Vocabulary &v,
               int64_t seq) {
  Encoded e;
  for (const Sentence &s : ss) {
    std::vector<int64_t> ids = v.encode(s.text);
    if (static_cast<int64_t>(ids.size()) > seq) {
      ids.resize(seq);
      ++e.truncated;
    }
    e.ids.push_back(std::move(ids));
    e.labels.push_back(s.label);
  }
  return e;
}

/// Writes sentences order[from, from + B) (fewer at the end) into the
/// inputs; returns how many. Padding rows repeat nothing: they hold <pad>
/// with an empty mask and are left out of the loss (validRows).
int64_t fillBatch(Model &model, const SentenceInputs &si, const Encoded &e,
                  const std::vector<int64_t> &order, size_t from) {
  auto *ids = static_cast<int64_t *>(model.input(*si.ids));
  auto *labels = static_cast<int64_t *>(model.input(*si.label));
  float *mask = si.mask ? static_cast<float *>(model.input(*si.mask)) : nullptr;
  int64_t n = std::min<int64_t>(si.batch, order.size() - from);
  std::fill(ids, ids + si.batch * si.seq, 0);
  std::fill(labels, labels + si.batch, 0);
  if (mask)
    std::fill(mask, mask + si.batch * si.seq, 0.f);
  for (int64_t b = 0; b < n; ++b) {
    const std::vector<int64_t> &s = e.ids[order[from + b]];
    std::copy(s.begin(), s.end(), ids + b * si.seq);
    if (mask)
      std::fill(mask + b * si.seq, mask + b * si.seq + s.size(), 1.f);
    labels[b] = e.labels[order[from + b]];
  }
  model.ctx.validRows = n;
  return n;
}

/// The model's [B, classes] output (logits), if it has one.
const OutputInfo *logitsOutput(const Manifest &m, int64_t classes) {
  for (const OutputInfo &o : m.outputs)
    if (o.shape.size() == 2 && o.shape[0] == m.batch && o.shape[1] == classes)
      return &o;
  return nullptr;
}

struct Score {
  double loss = 0;
  int64_t rows = 0, correct = 0;
  bool hasAccuracy = false; ///< the model has a [B, classes] output
  double accuracy() const { return rows ? double(correct) / rows : 0; }
};

/// The loss and accuracy on `e`; in a job (`run`'s, when it has one) each
/// rank evaluates every N-th batch and the sums are shared.
Score evaluate(Model &model, const SentenceInputs &si, const Encoded &e,
               TrainRun *run = nullptr) {
  int64_t rank = run ? run->rank() : 0, ranks = run ? run->ranks() : 1;
  Score s;
  std::vector<int64_t> order(e.ids.size());
  std::iota(order.begin(), order.end(), 0);
  const OutputInfo *out = logitsOutput(model.manifest, si.classes);
  s.hasAccuracy = out != nullptr;
  for (size_t b = rank * si.batch; b < order.size(); b += ranks * si.batch) {
    int64_t n = fillBatch(model, si, e, order, b);
    model.eval();
    s.loss += double(model.loss()) * n;
    s.rows += n;
    if (!out)
      continue;
    const float *o = model.output(*out);
    for (int64_t i = 0; i < n; ++i) {
      const float *r = o + i * si.classes;
      s.correct +=
          std::max_element(r, r + si.classes) - r == e.labels[order[b + i]];
    }
  }
  if (ranks > 1) {
    double sums[3] = {s.loss, double(s.rows), double(s.correct)};
    run->sumAcrossRanks(sums, 3, "the sum of the validation metrics");
    s.loss = sums[0];
    s.rows = static_cast<int64_t>(sums[1]);
    s.correct = static_cast<int64_t>(sums[2]);
  }
  s.loss /= std::max<int64_t>(s.rows, 1);
  return s;
}

std::string scoreText(const Score &s) {
  char buf[96];
  if (!s.hasAccuracy)
    std::snprintf(buf, sizeof(buf), "loss %.4f", s.loss);
  else
    std::snprintf(buf, sizeof(buf), "loss %.4f  accuracy %.2f%%", s.loss,
                  100 * s.accuracy());
  return buf;
}

} // namespace

bool nngc::rt::isSentenceClassifier(const Manifest &m) {
  return sentenceInputs(m).ids != nullptr;
}

int nngc::rt::cmdTrainSentences(Model &model, int argc, char **argv) {
  std::vector<std::string> dataPaths, valPaths;
  int64_t epochs = 5;
  double valSplit = 0;
  po::options_description desc("train options (sentence classifier)");
  desc.add_options()("help,h", "show this help")(
      "data", po::value(&dataPaths)->required(),
      "sentence<TAB>label lines (.gz ok); repeat for several files")(
      "val-data", po::value(&valPaths), "validation sentences (same format)")(
      "val-split", po::value(&valSplit),
      "hold out this fraction of --data (shuffled with --seed)")(
      "epochs", po::value(&epochs)->default_value(5),
      "passes over the data in all (a resumed run continues to this epoch)");
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
  SentenceInputs si = sentenceInputs(m);
  requireTrainable(m);
  if (valSplit < 0 || valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
  if (vm.count("val-split") && !valPaths.empty())
    throw std::runtime_error("give --val-split or --val-data, not both");
  if (epochs < 1)
    throw std::runtime_error("--epochs must be at least 1");
  TrainRun run(model, runOptions, vm, "sentences");
  applyOptimizerOptions(model, vm, optOptions);
  uint64_t seed = run.pos.seed;

  std::vector<Sentence> train, val;
  for (const std::string &p : dataPaths) {
    std::vector<Sentence> s = readSentences(p, si.classes, true);
    train.insert(train.end(), s.begin(), s.end());
  }
  for (const std::string &p : valPaths) {
    std::vector<Sentence> s = readSentences(p, si.classes, true);
    val.insert(val.end(), s.begin(), s.end());
  }
  if (valSplit > 0) {
    std::mt19937_64 rng(seed ^ 0x5eedULL);
    std::shuffle(train.begin(), train.end(), rng);
    auto nVal = static_cast<size_t>(std::llround(valSplit * train.size()));
    val.assign(train.end() - nVal, train.end());
    train.resize(train.size() - nVal);
  }
  if (train.empty())
    throw std::runtime_error("no training sentences left after the split");

  Vocabulary vocab;
  std::ostringstream head;
  if (run.resumed) {
    vocab = checkpointVocabulary(*run.resumed, runOptions.resume);
    head << run.resumedLine();
  } else {
    model.initParams(seed);
    std::string all;
    for (const Sentence &s : train)
      all += s.text + "\n";
    vocab = Vocabulary::words(all, si.vocab, /*padding=*/true);
  }
  if (vocab.size() > si.vocab)
    throw std::runtime_error(
        "the checkpoint's vocabulary has " + std::to_string(vocab.size()) +
        " words but the embedding has " + std::to_string(si.vocab) + " rows");
  Encoded tr = encode(train, vocab, si.seq), va = encode(val, vocab, si.seq);
  uint64_t hash = 0;
  for (const std::vector<int64_t> &ids : tr.ids)
    hash = xxh64(ids.data(), ids.size() * 8, hash);
  run.setDataHash(xxh64(tr.labels.data(), tr.labels.size() * 8, hash));
  head << "training " << m.model << " on " << train.size() << " sentences ("
       << val.size() << " for validation), " << vocab.size()
       << " words, length " << si.seq << " (" << tr.truncated + va.truncated
       << " cut), batch " << si.batch
       << (run.job ? " on each of " + std::to_string(run.ranks()) + " ranks"
                   : std::string())
       << ", " << omp_get_max_threads() << " threads"
       << (si.mask ? "" : "; no \"mask\" input: padding is not masked") << "\n";
  run.info(head.str());
  // In a job, a step takes a global batch (TrainRun::runEpochs).
  int64_t global = run.globalBatch(si.batch);
  int64_t steps = (static_cast<int64_t>(tr.ids.size()) + global - 1) / global;
  run.setTotalSteps(epochs * steps);

  auto save = [&]() {
    SafetensorsFile f = model.checkpoint();
    f.metadata["epoch"] = std::to_string(run.pos.epoch - 1); // finished
    storeVocabulary(f, vocab);
    run.save(std::move(f));
  };
  // Each epoch shuffles the previous epoch's order.
  std::vector<int64_t> order(tr.ids.size());
  std::iota(order.begin(), order.end(), 0);
  auto fill = [&](const std::vector<int64_t> &o, int64_t b) {
    return fillBatch(model, si, tr, o, b * si.batch);
  };
  auto endEpoch = [&](int64_t epoch) {
    double trainLoss = run.takeMeanLoss();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.4f", trainLoss);
    std::string line = "epoch " + std::to_string(epoch) + "  train loss " + buf;
    JsonLine json;
    json.add("epoch", epoch)
        .add("step", model.ctx.step)
        .add("train_loss", trainLoss);
    if (!va.ids.empty()) {
      Score sc = evaluate(model, si, va, &run);
      run.lastValLoss = sc.loss;
      line += "  val " + scoreText(sc);
      json.add("val_loss", sc.loss);
      if (sc.hasAccuracy)
        json.add("val_accuracy", sc.accuracy());
    }
    std::snprintf(buf, sizeof(buf), "  %.1fs", secondsSince(run.startTime()));
    run.record(line + buf, json);
  };
  if (int status = run.runEpochs(epochs, steps, order, /*cumulative=*/true,
                                 fill, endEpoch, save))
    return status;
  std::string tail = "done: " + std::to_string(model.ctx.step) + " steps";
  if (!runOptions.save.empty())
    tail += "; checkpoint " + runOptions.save;
  run.done(tail, JsonLine().add("done", model.ctx.step));
  return 0;
}

int nngc::rt::cmdEvalSentences(Model &model, int argc, char **argv,
                               bool predict) {
  std::vector<std::string> dataPaths;
  std::string checkpoint;
  po::options_description desc(predict ? "predict options" : "eval options");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint)->required(),
      "a checkpoint written by train --save")(
      "data", po::value(&dataPaths)->required(),
      predict ? "sentences, one per line (a trailing <TAB>label is ignored)"
              : "sentence<TAB>label lines");
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  SentenceInputs si = sentenceInputs(model.manifest);
  Vocabulary vocab = checkpointVocabulary(
      loadCheckpoint(model, checkpoint, false), checkpoint);
  std::vector<Sentence> ss;
  for (const std::string &p : dataPaths) {
    std::vector<Sentence> s = readSentences(p, si.classes, !predict);
    ss.insert(ss.end(), s.begin(), s.end());
  }
  Encoded e = encode(ss, vocab, si.seq);
  if (!predict) {
    Score s = evaluate(model, si, e);
    std::cout << scoreText(s) << " on " << s.rows << " sentences\n";
    return 0;
  }
  const OutputInfo *out = logitsOutput(model.manifest, si.classes);
  if (!out)
    throw std::runtime_error("the model has no [batch, classes] output");
  std::vector<int64_t> order(e.ids.size());
  std::iota(order.begin(), order.end(), 0);
  for (size_t b = 0; b < order.size(); b += si.batch) {
    int64_t n = fillBatch(model, si, e, order, b);
    model.predict();
    const float *o = model.output(*out);
    for (int64_t i = 0; i < n; ++i) {
      const float *r = o + i * si.classes;
      float mx = *std::max_element(r, r + si.classes);
      double z = 0;
      for (int64_t k = 0; k < si.classes; ++k)
        z += std::exp(double(r[k]) - mx);
      std::printf("%lld", (long long)(std::max_element(r, r + si.classes) - r));
      for (int64_t k = 0; k < si.classes; ++k)
        std::printf("\t%.7g", std::exp(double(r[k]) - mx) / z);
      std::printf("\n");
    }
  }
  return 0;
}
