//===- Trainer.cpp - The trainer executable's main ------------------------===//
//
//   ./trainer info
//   ./trainer train --data D.csv [--val-split 0.2 | --val-data V.csv] ...
//   ./trainer eval --checkpoint C --data D.csv
//   ./trainer predict --checkpoint C --data D.csv [--output P.csv]
//   ./trainer grad-check --inputs I.safetensors [--params P] --out O
//
// See docs/Trainer.md. The story of one training step: fill the inputs of
// the arena, call nngc_train (forward, backward, update), read the loss.
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"
#include "nngc/Runtime/Collectives.h"
#include "nngc/Runtime/Data.h"
#include "nngc/Runtime/Model.h"

#include <boost/program_options.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sched.h>
#include <sstream>
#include <unistd.h>

using namespace nngc::rt;

//===----------------------------------------------------------------------===//
// Helpers shared with TextTrainer.cpp (TrainerCommon.h)
//===----------------------------------------------------------------------===//

double nngc::rt::secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

namespace {

//===----------------------------------------------------------------------===//
// Data: a table turned into feature rows and labels for the model's inputs.
//===----------------------------------------------------------------------===//

struct DataOptions {
  CsvOptions csv;
  std::string labelColumn = "-1";
  std::string labelFile; ///< labels in a separate one-column file
};

/// Rows of features (f32) and labels (i64 class ids or f32 targets).
struct Dataset {
  std::string path;
  int64_t rows = 0, width = 0;
  std::vector<float> x;
  std::vector<int64_t> yInt;
  std::vector<float> yFloat;
  std::vector<int64_t> lines;
};

/// The model's one feature input and its (optional) label input.
struct Roles {
  const InputInfo *features = nullptr;
  const InputInfo *label = nullptr;
};

Roles rolesOf(const Manifest &m) {
  Roles r;
  for (const InputInfo &in : m.inputs) {
    if (in.isLabel) {
      if (r.label)
        throw std::runtime_error("the trainer feeds one label input; this "
                                 "model has several");
      r.label = &in;
    } else {
      if (r.features || in.isInt)
        throw std::runtime_error("the trainer feeds one f32 feature input "
                                 "from CSV; input '" +
                                 in.name + "' does not fit");
      r.features = &in;
    }
  }
  if (!r.features)
    throw std::runtime_error("the model has no feature input");
  return r;
}

Dataset loadDataset(const std::string &path, const DataOptions &opts,
                    const Roles &roles, bool needLabels) {
  Table t = readTable(path, opts.csv);
  Dataset d;
  d.path = path;
  d.rows = t.rows();
  d.lines = t.lines;
  d.width = roles.features->perRow();
  bool labelsHere = needLabels && roles.label && opts.labelFile.empty();
  int64_t labelCol = -1;
  if (labelsHere ||
      (roles.label && opts.labelFile.empty() && t.cols == d.width + 1))
    labelCol = t.column(opts.labelColumn);
  int64_t featureCols = t.cols - (labelCol >= 0 ? 1 : 0);
  if (featureCols != d.width)
    throw std::runtime_error(
        path + ": " + std::to_string(featureCols) +
        " feature columns, but input '" + roles.features->name + "' takes " +
        std::to_string(d.width) + " per row" +
        (labelCol >= 0
             ? " (column " + std::to_string(labelCol) + " is the label)"
             : ""));
  d.x.reserve(d.rows * d.width);
  for (int64_t r = 0; r < d.rows; ++r)
    for (int64_t c = 0; c < t.cols; ++c)
      if (c != labelCol)
        d.x.push_back(static_cast<float>(t.at(r, c)));
  if (!needLabels || !roles.label)
    return d;
  const InputInfo &label = *roles.label;
  if (label.perRow() != 1)
    throw std::runtime_error("label input '" + label.name +
                             "' takes several values per row; CSV data gives "
                             "one label column");
  std::vector<double> values;
  std::vector<int64_t> lines = d.lines;
  std::string labelPath = path;
  if (!opts.labelFile.empty()) {
    CsvOptions one = opts.csv;
    one.header = false;
    one.skipRows = 0;
    Table lt = readTable(opts.labelFile, one);
    if (lt.rows() != d.rows)
      throw std::runtime_error(opts.labelFile + ": " +
                               std::to_string(lt.rows()) + " labels for " +
                               std::to_string(d.rows) + " rows of " + path);
    int64_t col = lt.column(opts.labelColumn);
    for (int64_t r = 0; r < lt.rows(); ++r)
      values.push_back(lt.at(r, col));
    lines = lt.lines;
    labelPath = opts.labelFile;
  } else {
    for (int64_t r = 0; r < d.rows; ++r)
      values.push_back(t.at(r, labelCol));
  }
  for (int64_t r = 0; r < d.rows; ++r) {
    double v = values[r];
    auto where = [&] {
      return labelPath + ":" + std::to_string(lines[r]) + ": ";
    };
    if (label.isInt) {
      if (v != std::floor(v) || v < 0 || v >= label.classes)
        throw std::runtime_error(where() + "label " + std::to_string(v) +
                                 " is not a class id in [0, " +
                                 std::to_string(label.classes) + ")");
      d.yInt.push_back(static_cast<int64_t>(v));
    } else {
      if (label.binary && (v < 0 || v > 1))
        throw std::runtime_error(where() + "target " + std::to_string(v) +
                                 " of a binary cross-entropy is outside [0, "
                                 "1]");
      d.yFloat.push_back(static_cast<float>(v));
    }
  }
  return d;
}

/// Per-feature mean and standard deviation (population, as sklearn's
/// StandardScaler); a constant feature gets std 1.
struct Scaler {
  std::vector<float> mean, std;
  bool active() const { return !mean.empty(); }

  void fit(const Dataset &d, const std::vector<int64_t> &rows) {
    mean.assign(d.width, 0);
    std.assign(d.width, 0);
    std::vector<double> m(d.width, 0), s(d.width, 0);
    for (int64_t r : rows)
      for (int64_t c = 0; c < d.width; ++c)
        m[c] += d.x[r * d.width + c];
    for (int64_t c = 0; c < d.width; ++c)
      m[c] /= rows.size();
    for (int64_t r : rows)
      for (int64_t c = 0; c < d.width; ++c) {
        double v = d.x[r * d.width + c] - m[c];
        s[c] += v * v;
      }
    for (int64_t c = 0; c < d.width; ++c) {
      double sd = std::sqrt(s[c] / rows.size());
      mean[c] = static_cast<float>(m[c]);
      std[c] = sd > 1e-12 ? static_cast<float>(sd) : 1.f;
    }
  }
  void apply(Dataset &d) const {
    if (!active())
      return;
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t c = 0; c < d.width; ++c)
        d.x[r * d.width + c] = (d.x[r * d.width + c] - mean[c]) / std[c];
  }
  void save(SafetensorsFile &f) const {
    if (!active())
      return;
    int64_t w = static_cast<int64_t>(mean.size());
    f.tensors["nngc.feature_mean"] = Tensor::f32({w}, mean.data());
    f.tensors["nngc.feature_std"] = Tensor::f32({w}, std.data());
  }
  void load(const SafetensorsFile &f) {
    auto m = f.tensors.find("nngc.feature_mean");
    auto s = f.tensors.find("nngc.feature_std");
    if (m == f.tensors.end() || s == f.tensors.end())
      return;
    mean.assign(m->second.f32Data(),
                m->second.f32Data() + m->second.numElements());
    std.assign(s->second.f32Data(),
               s->second.f32Data() + s->second.numElements());
  }
};

/// Copies rows `idx[begin, begin + n)` of `d` into the model's inputs,
/// zero-padding a partial batch; returns the valid row count.
int64_t fillBatch(Model &model, const Roles &roles, const Dataset &d,
                  const std::vector<int64_t> &idx, size_t begin) {
  int64_t batch = model.manifest.batch;
  int64_t n = std::min<int64_t>(batch, idx.size() - begin);
  float *x = static_cast<float *>(model.input(*roles.features));
  std::memset(x, 0, sizeof(float) * batch * d.width);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(x + i * d.width, d.x.data() + idx[begin + i] * d.width,
                sizeof(float) * d.width);
  if (roles.label && (!d.yInt.empty() || !d.yFloat.empty())) {
    void *y = model.input(*roles.label);
    if (roles.label->isInt) {
      auto *yi = static_cast<int64_t *>(y);
      std::fill(yi, yi + batch, 0);
      for (int64_t i = 0; i < n; ++i)
        yi[i] = d.yInt[idx[begin + i]];
    } else {
      auto *yf = static_cast<float *>(y);
      std::fill(yf, yf + batch, 0.f);
      for (int64_t i = 0; i < n; ++i)
        yf[i] = d.yFloat[idx[begin + i]];
    }
  }
  model.ctx.validRows = n;
  return n;
}

/// The output metrics are read from: the first one with one row per sample.
const OutputInfo *predictionOutput(const Manifest &m) {
  for (const OutputInfo &o : m.outputs)
    if (!o.shape.empty() && o.shape[0] == m.batch)
      return &o;
  return nullptr;
}

/// Loss and accuracy (classification) or RMSE (regression) over a dataset.
struct Metrics {
  double loss = 0;
  int64_t rows = 0, correct = 0;
  double sqErr = 0;
  bool classification = false, regression = false;
  double accuracy() const { return rows ? double(correct) / rows : 0; }
};

/// The metrics of `d`; in a job (`run`'s, when it has one) each rank
/// evaluates every N-th batch and the sums are shared.
Metrics evaluate(Model &model, const Roles &roles, const Dataset &d,
                 TrainRun *run = nullptr) {
  int64_t rank = run ? run->rank() : 0, ranks = run ? run->ranks() : 1;
  Metrics m;
  std::vector<int64_t> idx(d.rows);
  std::iota(idx.begin(), idx.end(), 0);
  const OutputInfo *out = predictionOutput(model.manifest);
  const InputInfo *label = roles.label;
  m.classification = label && out && (label->isInt || label->binary);
  m.regression =
      label && out && !m.classification && out->perRow() == label->perRow();
  int64_t batch = model.manifest.batch;
  for (size_t b = rank * batch; b < idx.size(); b += ranks * batch) {
    int64_t n = fillBatch(model, roles, d, idx, b);
    model.eval();
    m.loss += double(model.loss()) * n;
    m.rows += n;
    if (!out)
      continue;
    const float *o = model.output(*out);
    int64_t w = out->perRow();
    for (int64_t i = 0; i < n; ++i) {
      int64_t row = idx[b + i];
      const float *r = o + i * w;
      if (m.classification && label->isInt)
        m.correct += (std::max_element(r, r + w) - r) == d.yInt[row];
      else if (m.classification)
        m.correct += (r[0] > 0) == (d.yFloat[row] > 0.5f);
      else if (m.regression) {
        double e = r[0] - d.yFloat[row];
        m.sqErr += e * e;
      }
    }
  }
  if (ranks > 1) {
    double sums[4] = {m.loss, double(m.rows), double(m.correct), m.sqErr};
    run->sumAcrossRanks(sums, 4, "the sum of the validation metrics");
    m.loss = sums[0];
    m.rows = static_cast<int64_t>(sums[1]);
    m.correct = static_cast<int64_t>(sums[2]);
    m.sqErr = sums[3];
  }
  m.loss /= std::max<int64_t>(m.rows, 1);
  return m;
}

std::string metricsText(const Metrics &m) {
  char buf[160];
  int len = std::snprintf(buf, sizeof(buf), "loss %.4f", m.loss);
  if (m.classification)
    std::snprintf(buf + len, sizeof(buf) - len, "  accuracy %.2f%%",
                  100 * m.accuracy());
  else if (m.regression)
    std::snprintf(buf + len, sizeof(buf) - len, "  rmse %.4f",
                  std::sqrt(m.sqErr / std::max<int64_t>(m.rows, 1)));
  return buf;
}

void metricsJson(JsonLine &j, const std::string &prefix, const Metrics &m) {
  j.add(prefix + "loss", m.loss);
  if (m.classification)
    j.add(prefix + "accuracy", m.accuracy());
  if (m.regression)
    j.add(prefix + "rmse", std::sqrt(m.sqErr / std::max<int64_t>(m.rows, 1)));
}

} // namespace

namespace nngc::rt {
SafetensorsFile loadCheckpoint(Model &model, const std::string &path,
                               bool optimizer) {
  SafetensorsFile file = SafetensorsFile::read(path);
  try {
    model.loadParams(file, optimizer);
  } catch (const std::exception &e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return file;
}
} // namespace nngc::rt

namespace {

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

/// Parses a command's options; false when it printed --help instead.
} // namespace

namespace nngc::rt {
bool parseOptions(int argc, char **argv, const po::options_description &desc,
                  po::variables_map &vm, const char *usage) {
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << usage << desc;
    return false;
  }
  po::notify(vm);
  return true;
}
} // namespace nngc::rt

namespace {} // namespace

namespace nngc::rt {
void addThreadsOption(po::options_description &desc) {
  desc.add_options()("threads", po::value<int64_t>(),
                     "OpenMP threads for oneDNN and the kernels (default: "
                     "one per core)");
}

void requireTrainable(const Manifest &m) {
  if (!m.hasEntry("train"))
    throw std::runtime_error("this model has no nn.minimize: it cannot be "
                             "trained");
}

void addOptimizerOptions(po::options_description &desc, OptimizerOptions &o) {
  desc.add_options()("lr", po::value(&o.lr),
                     "peak learning rate (default: the model's)")(
      "schedule", po::value(&o.schedule),
      "learning-rate schedule: constant, warmup_cosine or step_lr "
      "(default: the model's)")("warmup", po::value(&o.warmup),
                                "linear warm-up steps")(
      "decay-steps", po::value(&o.decaySteps),
      "warmup_cosine: steps until the rate reaches --min-lr")(
      "min-lr", po::value(&o.minLr), "warmup_cosine: the final rate")(
      "step-size", po::value(&o.stepSize), "step_lr: steps between decays")(
      "gamma", po::value(&o.gamma), "step_lr: decay factor")(
      "clip", po::value(&o.clip),
      "clip gradients to this global L2 norm (0: off; default: the "
      "model's clip_grad_norm)")(
      "dropout", po::value(&o.dropout),
      "replace the probability of every nn.dropout and attention dropout "
      "(recurrent layers keep theirs)");
}

void applyOptimizerOptions(Model &model, const po::variables_map &vm,
                           const OptimizerOptions &o) {
  Schedule &s = model.schedule;
  if (vm.count("lr")) {
    if (!(o.lr > 0))
      throw std::runtime_error("--lr must be positive");
    s.baseScale = o.lr / s.compiledLr;
  }
  if (vm.count("schedule")) {
    Schedule::Kind kind;
    if (o.schedule == "constant")
      kind = Schedule::Constant;
    else if (o.schedule == "warmup_cosine" || o.schedule == "cosine")
      kind = Schedule::WarmupCosine;
    else if (o.schedule == "step_lr" || o.schedule == "step")
      kind = Schedule::StepLR;
    else
      throw std::runtime_error("--schedule must be constant, warmup_cosine "
                               "or step_lr, not '" +
                               o.schedule + "'");
    if (kind != s.kind) {
      // A schedule the model was not compiled with: only the options set it.
      s = Schedule{kind, s.compiledLr, s.baseScale};
      if (kind == Schedule::WarmupCosine && !vm.count("decay-steps"))
        throw std::runtime_error(
            "--schedule warmup_cosine needs --decay-steps");
      if (kind == Schedule::StepLR && !vm.count("step-size"))
        throw std::runtime_error("--schedule step_lr needs --step-size");
    }
  }
  auto onlyFor = [&](const char *opt, Schedule::Kind kind, const char *name) {
    if (vm.count(opt) && s.kind != kind)
      throw std::runtime_error(std::string("--") + opt + " is for the " + name +
                               " schedule (see --schedule)");
  };
  onlyFor("decay-steps", Schedule::WarmupCosine, "warmup_cosine");
  onlyFor("min-lr", Schedule::WarmupCosine, "warmup_cosine");
  onlyFor("step-size", Schedule::StepLR, "step_lr");
  onlyFor("gamma", Schedule::StepLR, "step_lr");
  if (vm.count("warmup") && s.kind == Schedule::Constant)
    throw std::runtime_error("--warmup needs a schedule (--schedule "
                             "warmup_cosine or step_lr)");
  if (vm.count("warmup"))
    s.warmup = o.warmup;
  if (vm.count("decay-steps"))
    s.decaySteps = o.decaySteps;
  if (vm.count("min-lr"))
    s.minLr = o.minLr;
  if (vm.count("step-size"))
    s.stepSize = o.stepSize;
  if (vm.count("gamma"))
    s.gamma = o.gamma;
  if (s.warmup < 0)
    throw std::runtime_error("--warmup must not be negative");
  if (s.kind == Schedule::WarmupCosine && s.decaySteps <= s.warmup)
    throw std::runtime_error("--decay-steps must exceed --warmup");
  if (s.kind == Schedule::WarmupCosine && s.minLr < 0)
    throw std::runtime_error("--min-lr must not be negative");
  if (s.kind == Schedule::StepLR && (s.stepSize < 1 || !(s.gamma > 0)))
    throw std::runtime_error("--step-size must be positive and --gamma "
                             "positive");
  if (vm.count("clip")) {
    if (!(o.clip >= 0))
      throw std::runtime_error("--clip must not be negative (0 turns "
                               "clipping off)");
    if (o.clip > 0 && model.manifest.gradNormOffset < 0)
      throw std::runtime_error("this model computes no gradient norm "
                               "(compiled by an older nngc): recompile it "
                               "to clip");
    model.ctx.clipNorm = o.clip;
  }
  applyDropoutOption(model, vm, o.dropout);
}

void applyDropoutOption(Model &model, const po::variables_map &vm, double p) {
  if (!vm.count("dropout"))
    return;
  if (!(p >= 0 && p < 1))
    throw std::runtime_error("--dropout must be in [0, 1)");
  model.ctx.dropoutOverride = p;
}

} // namespace nngc::rt

namespace {

void addDataOptions(po::options_description &desc, DataOptions &d) {
  desc.add_options()("no-header", "the data has no header line")(
      "skip-rows", po::value(&d.csv.skipRows)->default_value(0),
      "lines to drop before the header/data")(
      "delimiter", po::value(&d.csv.delimiter)->default_value(","),
      "cell separator: one character, or 'whitespace'")(
      "label-column", po::value(&d.labelColumn)->default_value("-1"),
      "label column: a name, or an index (negative counts from the end)")(
      "label-file", po::value(&d.labelFile),
      "read labels from this one-column file instead (same row order)");
}

void finishDataOptions(const po::variables_map &vm, DataOptions &d) {
  d.csv.header = !vm.count("no-header");
}

std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// The compile report's kernels and FLOPs (the largest op kinds), as
/// `nngc compile --report` prints them.
static std::string reportLines(const Json &report) {
  if (report.kind != Json::Object)
    return "";
  std::ostringstream os;
  os << "kernels      " << report.at("kernels").asInt() << " ("
     << report.at("kernels_before_fusion").asInt() << " before fusion)\n";
  double total = report.at("flops_per_step").asNumber();
  std::vector<std::pair<double, std::string>> kinds;
  for (const auto &[kind, flops] : report.at("flops_by_kind").object)
    kinds.push_back({flops.asNumber(), kind});
  std::sort(kinds.rbegin(), kinds.rend());
  char line[128];
  std::snprintf(line, sizeof line, "FLOPs per step: %.4g GFLOP", total / 1e9);
  os << line;
  for (size_t i = 0; i < kinds.size() && i < 4; ++i) {
    std::snprintf(line, sizeof line, "%s%s %.1f %%", i ? ", " : " (",
                  kinds[i].second.c_str(),
                  total > 0 ? 100 * kinds[i].first / total : 0.0);
    os << line;
  }
  os << (kinds.empty() ? "" : ")") << "\n";
  if (report.has("all_reduce_buckets")) {
    // A --distributed=mpi trainer: what each step all-reduces, and how
    // much backward compute each bucket's all-reduce can overlap.
    const std::vector<Json> &buckets = report.at("all_reduce_buckets").array;
    double bytes = 0;
    for (const Json &b : buckets)
      bytes += b.at("bytes").asNumber();
    std::snprintf(line, sizeof line,
                  "all-reduce   %zu buckets, %.2f MiB per step, under mpirun:",
                  buckets.size(), bytes / 1048576.0);
    os << line << "\n";
    for (const Json &b : buckets) {
      const std::vector<Json> &params = b.at("parameters").array;
      std::snprintf(line, sizeof line,
                    "  bucket %lld  %.2f MiB  %zu parameters from %s, "
                    "overlaps %.1f %% of the FLOPs\n",
                    (long long)b.at("bucket").asInt(),
                    b.at("bytes").asNumber() / 1048576.0, params.size(),
                    params.empty() ? "-" : params.front().asString().c_str(),
                    total > 0 ? 100 * b.at("overlap_flops").asNumber() / total
                              : 0.0);
      os << line;
    }
  }
  return os.str();
}

int cmdInfo(Model &model) {
  const Manifest &m = model.manifest;
  auto shape = [](const std::vector<int64_t> &s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
      out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  auto mibOf = [](int64_t b) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", b / 1048576.0);
    return std::string(text);
  };
  std::cout << "model        " << m.model << "\n"
            << "batch        " << m.batch << "\n";
  // A CUDA trainer's GPU, and its products' arithmetic.
  if (model.device)
    std::cout << "device       " << model.device->describe() << ", "
              << m.precision << " products\n"
              << "device memory " << mibOf(model.deviceBytes)
              << " in one allocation: the plan's buffers "
              << mibOf(model.deviceBytes - model.runtimeDeviceBytes)
              << ", the runtime's " << mibOf(model.runtimeDeviceBytes)
              << " (cuBLASLt workspace " << mibOf(m.cudaWorkspaceBytes)
              << ", attention's probabilities and work buffers, recurrent "
                 "layers' states)\n";
  std::cout << "inputs\n";
  for (const InputInfo &in : m.inputs)
    std::cout << "  " << in.name << "  " << (in.isInt ? "i64" : "f32") << " "
              << shape(in.shape) << "  "
              << (in.isLabel
                      ? (in.classes ? "label (" + std::to_string(in.classes) +
                                          " classes)"
                                    : std::string("target"))
                      : "features")
              << "\n";
  std::cout << "parameters   " << m.parameterCount() << "\n";
  for (const ParamInfo &p : m.params)
    std::cout << "  " << p.name << "  " << shape(p.shape) << "  " << p.init
              << "\n";
  std::cout << "outputs\n";
  for (const OutputInfo &o : m.outputs)
    std::cout << "  " << o.name << "  " << shape(o.shape) << "\n";
  if (m.optimizer.kind == Json::Object) {
    std::cout << "optimizer    " << m.optimizer.at("kind").asString();
    for (const auto &[k, v] : m.optimizer.object)
      if (k != "kind")
        std::cout << " " << k << "="
                  << (v.kind == Json::Bool
                          ? std::string(v.boolean ? "true" : "false")
                          : formatNumber(v.number));
    std::cout << "\nschedule     " << m.schedule.describe() << "\n";
    std::cout << "clipping     "
              << (m.clipGradNorm > 0
                      ? "global gradient norm " + formatNumber(m.clipGradNorm)
                      : std::string("none"))
              << "\n";
  }
  auto kib = [](int64_t b) {
    return std::to_string((b + 1023) / 1024) + " KiB";
  };
  // What the CPU's primitives keep (the plan's count) is no CUDA
  // trainer's: its runtime's buffers are on the device memory line.
  int64_t kept = model.device ? 0 : m.keptBytes;
  std::cout << "memory       arena " << kib(m.arenaBytes) << ", parameters "
            << kib(m.paramBytes) << ", gradients " << kib(m.paramBytes)
            << ", optimizer state " << kib(m.stateBytes);
  if (kept)
    std::cout << ", kept by primitives " << kib(kept);
  std::cout << " (total "
            << kib(m.arenaBytes + 2 * m.paramBytes + m.stateBytes + kept)
            << ")\n";
  if (!model.device)
    std::cout << "primitives   hold " << kib(model.ctx.primitiveBytes())
              << " at run time (the plan counts " << kib(m.keptBytes)
              << ": attention probabilities and scratch, layer-norm "
                 "statistics; not recurrent layers' oneDNN workspace, "
                 "scratchpad and weight copies)\n";
  std::cout << reportLines(m.report) << "entry points";
  for (const std::string &e : m.entries)
    std::cout << " " << e;
  std::cout << "\n";
  if (m.step) {
    std::cout << "step         one token per call (arena " +
                     kib(m.step->arenaBytes) + "), carrying";
    for (const StepInfo::Input &in : m.step->inputs)
      if (!in.carriedFrom.empty())
        std::cout << " " << in.carriedFrom << " -> " << in.name << " "
                  << shape(in.shape)
                  << (in.initialFrom.empty()
                          ? ""
                          : " (from " + in.initialFrom + ")");
    std::cout << "\n";
    if (m.encode) {
      std::cout << "encode       the source side once per batch (arena " +
                       kib(m.encode->arenaBytes) + "), reading";
      for (const StepInfo::Input &in : m.encode->inputs)
        std::cout << " " << in.name;
      std::cout << "; the step reads";
      for (const StepInfo::Input &in : m.step->inputs)
        if (!in.fromEncode.empty())
          std::cout << " " << in.fromEncode << " " << shape(in.shape);
      std::cout << "\n";
    }
  } else if (!m.stepNote.empty()) {
    std::cout << "step         none: " << m.stepNote << "\n";
  }
  return 0;
}

int cmdTrain(Model &model, int argc, char **argv) {
  DataOptions data;
  std::string dataPath, valPath;
  int64_t epochs = 10, batchSize = 0;
  double valSplit = 0;
  po::options_description desc("train options");
  desc.add_options()("help,h", "show this help")(
      "data", po::value(&dataPath)->required(), "training data (CSV, .gz ok)")(
      "val-data", po::value(&valPath), "validation data (same format)")(
      "val-split", po::value(&valSplit),
      "hold out this fraction of --data (seeded) for validation")(
      "epochs", po::value(&epochs)->default_value(10),
      "passes over the data in all (a resumed run continues to this epoch)")(
      "batch-size", po::value(&batchSize),
      "must equal the compiled batch (the model's first input dimension)")(
      "standardize", "scale features to zero mean, unit variance (training "
                     "statistics; saved in the checkpoint)");
  RunOptions runOptions;
  addRunOptions(desc, runOptions);
  addDataOptions(desc, data);
  OptimizerOptions optOptions;
  addOptimizerOptions(desc, optOptions);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm,
                    "usage: trainer train --data FILE [options]\n"))
    return 0;
  finishDataOptions(vm, data);
  const Manifest &m = model.manifest;
  requireTrainable(m);
  if (vm.count("batch-size") && batchSize != m.batch)
    throw std::runtime_error(
        "--batch-size " + std::to_string(batchSize) +
        " differs from the compiled batch " + std::to_string(m.batch) +
        " (change the model's input shapes and recompile)");
  if (valSplit < 0 || valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
  if (vm.count("val-split") && !valPath.empty())
    throw std::runtime_error("give --val-split or --val-data, not both");
  if (epochs < 1)
    throw std::runtime_error("--epochs must be at least 1");
  TrainRun run(model, runOptions, vm, "rows");
  applyOptimizerOptions(model, vm, optOptions);
  uint64_t seed = run.pos.seed;

  Roles roles = rolesOf(m);
  if (!roles.label)
    throw std::runtime_error("the model has no label input to train on");
  Dataset train = loadDataset(dataPath, data, roles, true);
  std::vector<int64_t> trainRows(train.rows), valRows;
  std::iota(trainRows.begin(), trainRows.end(), 0);
  if (valSplit > 0) {
    std::mt19937_64 rng(seed ^ 0x5eedULL);
    std::shuffle(trainRows.begin(), trainRows.end(), rng);
    auto nVal = static_cast<int64_t>(std::llround(valSplit * train.rows));
    valRows.assign(trainRows.end() - nVal, trainRows.end());
    trainRows.resize(train.rows - nVal);
    std::sort(valRows.begin(), valRows.end());
  }
  if (trainRows.empty())
    throw std::runtime_error(dataPath + ": no training rows left after the "
                                        "split");
  uint64_t hash = xxh64(trainRows.data(), trainRows.size() * 8);
  hash = xxh64(train.x.data(), train.x.size() * 4, hash);
  hash = xxh64(train.yInt.data(), train.yInt.size() * 8, hash);
  run.setDataHash(xxh64(train.yFloat.data(), train.yFloat.size() * 4, hash));

  Scaler scaler;
  std::ostringstream head;
  if (run.resumed) {
    scaler.load(*run.resumed);
    head << run.resumedLine();
  } else {
    model.initParams(seed);
    if (vm.count("standardize"))
      scaler.fit(train, trainRows);
  }
  // Validation rows come from the same file: scale a copy of the features.
  scaler.apply(train);
  Dataset val;
  if (!valPath.empty()) {
    val = loadDataset(valPath, data, roles, true);
    scaler.apply(val);
  } else if (!valRows.empty()) {
    val.path = dataPath;
    val.width = train.width;
    val.rows = static_cast<int64_t>(valRows.size());
    for (int64_t r : valRows) {
      val.x.insert(val.x.end(), train.x.begin() + r * train.width,
                   train.x.begin() + (r + 1) * train.width);
      if (!train.yInt.empty())
        val.yInt.push_back(train.yInt[r]);
      else
        val.yFloat.push_back(train.yFloat[r]);
      val.lines.push_back(train.lines[r]);
    }
  }

  // In a job of N ranks a step takes a global batch of N x the compiled
  // batch, each rank its shard (TrainRun::runEpochs).
  int64_t batch = m.batch, global = run.globalBatch(batch);
  int64_t steps =
      (static_cast<int64_t>(trainRows.size()) + global - 1) / global;
  int64_t partial = trainRows.size() % global;
  head << "training " << m.model << ": " << trainRows.size() << " rows, "
       << (val.rows ? std::to_string(val.rows) : "no")
       << " validation rows, batch " << batch;
  if (run.job)
    head << " on each of " << run.ranks() << " ranks (global batch " << global
         << ")";
  head << ", " << steps << " steps per epoch";
  if (partial)
    head << " (the last batch has " << partial
         << " rows; the loss averages over those only)";
  head << ", " << omp_get_max_threads() << " threads"
       << (run.job ? " per rank" : "") << "\n";
  run.info(head.str());
  run.setTotalSteps(epochs * steps);

  auto save = [&]() {
    SafetensorsFile f = model.checkpoint();
    scaler.save(f);
    f.metadata["epoch"] = std::to_string(run.pos.epoch - 1); // finished
    run.save(std::move(f));
  };
  auto t0 = Clock::now();
  auto fill = [&](const std::vector<int64_t> &order, int64_t b) {
    return fillBatch(model, roles, train, order, b * batch);
  };
  auto endEpoch = [&](int64_t epoch) {
    double seconds = secondsSince(t0), rowsPerS = run.throughput();
    t0 = Clock::now();
    double trainLoss = run.takeMeanLoss();
    char line[256];
    int len = std::snprintf(line, sizeof(line),
                            "epoch %3lld  train loss %.4f  %.2fs  %.0f rows/s",
                            (long long)epoch, trainLoss, seconds, rowsPerS);
    JsonLine json;
    json.add("epoch", epoch)
        .add("step", model.ctx.step)
        .add("train_loss", trainLoss);
    if (val.rows) {
      Metrics vmx = evaluate(model, roles, val, &run);
      run.lastValLoss = vmx.loss;
      std::snprintf(line + len, sizeof(line) - len, "  |  val %s",
                    metricsText(vmx).c_str());
      metricsJson(json, "val_", vmx);
    }
    run.record(line, json);
  };
  if (int status = run.runEpochs(epochs, steps, trainRows,
                                 /*cumulative=*/false, fill, endEpoch, save))
    return status;
  std::ostringstream tail;
  tail << "done in " << secondsSince(run.startTime()) << " s";
  if (!runOptions.save.empty())
    tail << "; checkpoint " << runOptions.save;
  JsonLine json;
  json.add("done", model.ctx.step);
  if (val.rows) {
    Metrics vmx = evaluate(model, roles, val, &run);
    tail << "\nheld-out: " << metricsText(vmx) << " on " << vmx.rows << " rows";
    metricsJson(json, "val_", vmx);
  }
  run.done(tail.str(), json);
  return 0;
}

int cmdEvalOrPredict(Model &model, int argc, char **argv, bool predict) {
  DataOptions data;
  std::string dataPath, checkpoint, output;
  po::options_description desc(predict ? "predict options" : "eval options");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint)->required(),
      "a checkpoint written by train --save")(
      "data", po::value(&dataPath)->required(), "data (CSV, .gz ok)");
  if (predict)
    desc.add_options()("output", po::value(&output),
                       "write predictions here (default: stdout)");
  addDataOptions(desc, data);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  finishDataOptions(vm, data);
  Roles roles = rolesOf(model.manifest);
  Scaler scaler;
  scaler.load(loadCheckpoint(model, checkpoint, false));
  Dataset d = loadDataset(dataPath, data, roles, !predict);
  scaler.apply(d);
  if (!predict) {
    if (!model.manifest.hasLoss)
      throw std::runtime_error("this model has no loss to evaluate");
    Metrics mx = evaluate(model, roles, d);
    std::cout << dataPath << ": " << metricsText(mx) << " on " << mx.rows
              << " rows\n";
    return 0;
  }
  const OutputInfo *out = predictionOutput(model.manifest);
  if (!out)
    throw std::runtime_error("the model has no per-row output to predict");
  std::ofstream file;
  if (!output.empty()) {
    file.open(output);
    if (!file)
      throw std::runtime_error(output + ": cannot write");
  }
  std::ostream &os = output.empty() ? std::cout : file;
  int64_t w = out->perRow();
  bool classes = roles.label && roles.label->isInt && w > 1;
  os << (classes ? "prediction," : "");
  for (int64_t j = 0; j < w; ++j)
    os << out->name << "_" << j << (j + 1 < w ? "," : "\n");
  std::vector<int64_t> idx(d.rows);
  std::iota(idx.begin(), idx.end(), 0);
  for (size_t b = 0; b < idx.size(); b += model.manifest.batch) {
    int64_t n = fillBatch(model, roles, d, idx, b);
    model.predict();
    const float *o = model.output(*out);
    for (int64_t i = 0; i < n; ++i) {
      const float *r = o + i * w;
      if (classes)
        os << (std::max_element(r, r + w) - r) << ",";
      for (int64_t j = 0; j < w; ++j)
        os << r[j] << (j + 1 < w ? "," : "\n");
    }
  }
  return 0;
}

/// Loads, by input name, the tensors of `file` into the model's inputs.
void loadInputs(Model &model, const SafetensorsFile &file,
                const std::string &path) {
  for (const InputInfo &in : model.manifest.inputs) {
    auto it = file.tensors.find(in.name);
    if (it == file.tensors.end())
      throw std::runtime_error(path + ": no tensor for input '" + in.name +
                               "'");
    const Tensor &t = it->second;
    if (t.dtype != (in.isInt ? "I64" : "F32") || t.shape != in.shape)
      throw std::runtime_error(path + ": tensor '" + in.name +
                               "' does not match the input's dtype or shape");
    std::memcpy(model.input(in), t.data.data(), t.data.size());
  }
}

/// Seeded random inputs of the right kinds: token ids and labels within
/// their ranges, a sentence classifier's padding mask of random lengths,
/// targets of a binary loss in [0, 1], other features in [-1, 1].
static void fillRandomInputs(Model &model, uint64_t seed) {
  const Manifest &m = model.manifest;
  std::mt19937_64 rng(seed);
  for (const InputInfo &in : m.inputs) {
    if (in.isInt) {
      std::uniform_int_distribution<int64_t> d(
          0, std::max<int64_t>({in.classes, in.vocab, 1}) - 1);
      auto *p = static_cast<int64_t *>(model.input(in));
      for (int64_t i = 0; i < in.numElements(); ++i)
        p[i] = d(rng);
    } else if ((in.name == "mask" ||
                (in.name.size() > 5 &&
                 in.name.compare(in.name.size() - 5, 5, "_mask") == 0)) &&
               in.shape.size() >= 2) {
      // A padding mask (a sentence classifier's "mask", a translation
      // model's "src_mask"; docs/Trainer.md): each row 1s for a random
      // length in [1, T], then 0s.
      int64_t T = in.shape[1], inner = in.perRow() / T;
      std::uniform_int_distribution<int64_t> d(1, T);
      auto *p = static_cast<float *>(model.input(in));
      for (int64_t b = 0; b < in.shape[0]; ++b) {
        int64_t len = d(rng);
        for (int64_t t = 0; t < T; ++t)
          std::fill_n(p + (b * T + t) * inner, inner, t < len ? 1.f : 0.f);
      }
    } else {
      std::uniform_real_distribution<float> d(in.binary ? 0.f : -1.f, 1.f);
      auto *p = static_cast<float *>(model.input(in));
      for (int64_t i = 0; i < in.numElements(); ++i)
        p[i] = d(rng);
    }
  }
}

int cmdGradCheck(Model &model, int argc, char **argv) {
  std::string inputs, params, out;
  int64_t trainSteps = 0, fd = 0, validRows = 0;
  double fdEps = 1e-2, dropout = 0;
  uint64_t seed = 0;
  po::options_description desc("grad-check options");
  desc.add_options()("help,h", "show this help")(
      "inputs", po::value(&inputs),
      "safetensors with one tensor per model input, by name")(
      "random-inputs",
      "draw seeded random inputs (as `bench` does) instead of --inputs")(
      "params", po::value(&params),
      "safetensors with the parameters (default: initialise with --seed)")(
      "seed", po::value(&seed)->default_value(0), "initialisation seed")(
      "valid-rows", po::value(&validRows),
      "treat only the first N rows as data (a partial batch)")(
      "out", po::value(&out)->required(),
      "write loss, grad.<param>, output.<name> (and param.<name>, "
      "loss.<k> after --train-steps) here")(
      "train-steps", po::value(&trainSteps)->default_value(0),
      "then take this many optimizer steps on the same batch")(
      "fd", po::value(&fd)->default_value(0),
      "check this many coordinates per parameter by central differences")(
      "fd-eps", po::value(&fdEps)->default_value(1e-2),
      "finite-difference step")(
      "dropout", po::value(&dropout),
      "replace the probability of every nn.dropout and attention dropout "
      "(0: compare a dropout model with a reference in eval mode)");
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  model.ctx.seed = seed; // dropout masks
  applyDropoutOption(model, vm, dropout);
  const Manifest &m = model.manifest;
  if (!params.empty()) {
    loadCheckpoint(model, params, false);
  } else {
    model.initParams(seed);
  }
  if ((vm.count("random-inputs") > 0) == !inputs.empty()) // one of them
    throw std::runtime_error("grad-check needs --inputs FILE or "
                             "--random-inputs");
  if (inputs.empty())
    fillRandomInputs(model, seed);
  else
    loadInputs(model, SafetensorsFile::read(inputs), inputs);
  if (vm.count("valid-rows")) {
    if (validRows < 1 || validRows > m.batch)
      throw std::runtime_error("--valid-rows must be in [1, batch]");
    model.ctx.validRows = validRows;
  }
  SafetensorsFile result;
  model.computeGrad();
  float loss = model.loss();
  result.tensors["loss"] = Tensor::f32({}, &loss);
  for (const ParamInfo &p : m.params)
    result.tensors["grad." + p.name] = Tensor::f32(p.shape, model.grad(p));
  for (const OutputInfo &o : m.outputs)
    result.tensors["output." + o.name] = Tensor::f32(o.shape, model.output(o));

  // Central differences of the loss, computed by the eval entry point.
  std::mt19937_64 rng(seed + 17);
  for (const ParamInfo &p : m.params) {
    if (!fd)
      break;
    float *w = model.param(p);
    const float *g = result.tensors["grad." + p.name].f32Data();
    double maxAbs = 0, maxG = 0;
    std::uniform_int_distribution<int64_t> pick(0, p.numElements() - 1);
    for (int64_t k = 0; k < fd; ++k) {
      int64_t i = pick(rng);
      float saved = w[i];
      w[i] = saved + static_cast<float>(fdEps);
      model.eval();
      double up = model.loss();
      w[i] = saved - static_cast<float>(fdEps);
      model.eval();
      double down = model.loss();
      w[i] = saved;
      double numeric = (up - down) / (2 * fdEps);
      maxAbs = std::max(maxAbs, std::fabs(numeric - g[i]));
      maxG = std::max(maxG, std::fabs(double(g[i])));
    }
    std::printf("{\"fd_param\":%s,\"checked\":%lld,\"max_abs_err\":%.3e,"
                "\"max_abs_grad\":%.3e}\n",
                jsonQuote(p.name).c_str(), (long long)fd, maxAbs, maxG);
  }
  for (int64_t s = 0; s < trainSteps; ++s) {
    model.train();
    float l = model.loss();
    result.tensors["loss." + std::to_string(s)] = Tensor::f32({}, &l);
  }
  if (trainSteps)
    for (const ParamInfo &p : m.params)
      result.tensors["param." + p.name] = Tensor::f32(p.shape, model.param(p));
  result.write(out);
  std::printf("{\"loss\":%.9g}\n", loss);
  return 0;
}

/// Times training steps on seeded random inputs (no data loading), for
/// benchmarks: one JSON line with the median step time and peak RSS.
int cmdBench(Model &model, int argc, char **argv) {
  int64_t steps = 200, warmup = 20;
  uint64_t seed = 0;
  double dropout = -1;
  po::options_description desc("bench options");
  desc.add_options()("help,h", "show this help")(
      "steps", po::value(&steps)->default_value(200), "timed steps")(
      "warmup", po::value(&warmup)->default_value(20), "untimed steps first")(
      "seed", po::value(&seed)->default_value(0),
      "seed")("dropout", po::value(&dropout),
              "replace every nn.dropout and attention dropout probability")(
      "check-numerics", "check every op's result as train --check-numerics "
                        "does (to measure what it costs)")(
      "no-overlap", "in an MPI job: wait for each gradient bucket's "
                    "all-reduce as soon as it starts (to measure what "
                    "overlapping it with the backward pass hides)");
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  Collectives *job = model.ctx.comm;
  if (job) {
    job->overlap = !vm.count("no-overlap");
    model.ctx.gradScale = 1.f / static_cast<float>(job->size());
  }
  model.ctx.seed = seed; // dropout masks
  applyDropoutOption(model, vm, dropout);
  model.ctx.checkNumerics = vm.count("check-numerics") > 0;
  if (steps < 1)
    throw std::runtime_error("--steps must be at least 1");
  const Manifest &m = model.manifest;
  model.initParams(seed);
  // Each rank of a job trains on batches of its own.
  fillRandomInputs(model, seed + (job ? job->rank() : 0));
  for (int64_t i = 0; i < warmup; ++i)
    model.train();
  std::vector<double> ms;
  ms.reserve(steps); // the timed loop allocates nothing (no-alloc.test)
  model.ctx.rnnPackSeconds = 0;
  if (job)
    job->stats = Collectives::Stats();
  for (int64_t i = 0; i < steps; ++i) {
    auto t0 = Clock::now();
    model.train();
    // A CUDA step only queues kernels: time it to their end.
    if (model.device)
      model.device->synchronize();
    ms.push_back(1e3 * secondsSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  std::ifstream status("/proc/self/status");
  std::string line;
  double rssMiB = 0;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      rssMiB = std::stod(line.substr(6)) / 1024;
  // The process's threads now (main, the signal thread and the OpenMP
  // workers, which libgomp keeps after a parallel region): what --threads
  // really gave oneDNN and the kernels.
  int64_t osThreads = 0;
  if (DIR *dir = opendir("/proc/self/task")) {
    while (dirent *e = readdir(dir))
      osThreads += e->d_name[0] != '.';
    closedir(dir);
  }
  if (job && job->rank() != 0)
    return 0;
  std::string jobJson;
  if (job) {
    // What the gradient all-reduces took per step: the wall time they were
    // in flight (start to completion), the time the step was blocked
    // waiting for them, and the share of the former the backward pass hid.
    const Collectives::Stats &st = job->stats;
    char buf[320];
    std::snprintf(
        buf, sizeof buf,
        ",\"ranks\":%d,\"overlap\":%s,\"all_reduce\":{\"buckets\":%lld,"
        "\"mib_per_step\":%.3f,\"in_flight_ms_per_step\":%.4f,"
        "\"blocked_ms_per_step\":%.4f}",
        job->size(), job->overlap ? "true" : "false",
        (long long)(st.buckets / steps), st.bytes / 1048576.0 / steps,
        1e3 * st.inFlightSeconds / steps, 1e3 * st.blockedSeconds / steps);
    jobJson = buf;
  }
  // A CUDA trainer: whether its steps ran as a CUDA graph.
  if (model.device)
    jobJson += ",\"cuda_graphs\":" + jsonQuote(model.device->graphs());
  std::printf(
      "{\"model\":%s,\"batch\":%lld,\"threads\":%d,\"steps\":%lld,"
      "\"step_ms\":{\"median\":%.4f,\"min\":%.4f,\"max\":%.4f},"
      "\"samples_per_s\":%.1f,\"peak_rss_mib\":%.1f,\"final_loss\":%.6f,"
      "\"rnn_pack_ms_per_step\":%.4f,\"os_threads\":%lld,"
      "\"primitive_mib\":%.1f,\"planned_kept_mib\":%.1f%s}\n",
      jsonQuote(m.model).c_str(), (long long)m.batch, omp_get_max_threads(),
      (long long)steps, median, ms.front(), ms.back(),
      m.batch * (job ? job->size() : 1) / (median / 1e3), rssMiB, model.loss(),
      1e3 * model.ctx.rnnPackSeconds / steps, (long long)osThreads,
      model.ctx.primitiveBytes() / 1048576.0, m.keptBytes / 1048576.0,
      jobJson.c_str());
  return 0;
}

const char *kUsage =
    "usage: %s COMMAND [options]   (COMMAND --help for its options)\n"
    "\n"
    "  info        the model, its parameters and memory\n"
    "  train       train on CSV data (or, for a language model, on text;\n"
    "              for a sentence classifier, on sentence<TAB>label lines;\n"
    "              for a forecaster, on one column of a CSV series; for a\n"
    "              translation model, on source<TAB>target lines),\n"
    "              evaluate, save checkpoints\n"
    "  sample      generate text from a language model's checkpoint\n"
    "  translate   translate sentences with a translation model's checkpoint\n"
    "  eval        loss and accuracy/RMSE of a checkpoint on data\n"
    "  predict     write the model's output for each row of data\n"
    "  grad-check  loss and gradients for given inputs (and parameters),\n"
    "              with an optional finite-difference check\n"
    "  bench       time training steps on random inputs\n"
    "  plot        draw the loss curves of train --log files as SVG\n";

/// Applies `--threads N` (or `--threads=N`) before the Model exists: its
/// constructor creates the oneDNN primitives, and a primitive keeps the
/// thread count it was created with, so a later omp_set_num_threads left
/// oneDNN's matmuls on every core (`--threads 1` ran two threads). The
/// subcommand's own parser still validates the option.
void applyThreadsEarly(int argc, char **argv) {
  bool given = false;
  for (int i = 2; i < argc; ++i) {
    const char *v = nullptr;
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      v = argv[i + 1];
    else if (!std::strncmp(argv[i], "--threads=", 10))
      v = argv[i] + 10;
    if (!v)
      continue;
    given = true;
    char *end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end != v && !*end && n > 0 && n <= 4096)
      omp_set_num_threads(static_cast<int>(n));
  }
  // Several ranks of an MPI job on one machine, not bound to cores of
  // their own (mpirun --bind-to none, or more ranks than cores): OpenMP
  // would give each all the cores. Share them out instead. (A rank bound
  // to some cores already gets that many threads: libgomp counts the
  // affinity mask.)
  const char *local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!local)
    local = std::getenv("MPI_LOCALNRANKS"); // MPICH's Hydra
  long ranks = local ? std::strtol(local, nullptr, 10) : 1;
  cpu_set_t mask;
  if (given || ranks <= 1 || sched_getaffinity(0, sizeof(mask), &mask) != 0)
    return;
  long cpus = CPU_COUNT(&mask), online = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus >= online)
    omp_set_num_threads(static_cast<int>(std::max(1L, cpus / ranks)));
}

} // namespace

namespace {

/// The command `cmd` on `model`.
int runCommand(Model &model, const std::string &cmd, int argc, char **argv) {
  if (cmd == "info")
    return cmdInfo(model);
  bool sentences = isSentenceClassifier(model.manifest);
  bool series = isForecaster(model.manifest);
  bool pairs = isTranslator(model.manifest);
  if (cmd == "train") {
    return isLanguageModel(model.manifest)
               ? cmdTrainText(model, argc - 1, argv + 1)
           : sentences ? cmdTrainSentences(model, argc - 1, argv + 1)
           : series    ? cmdTrainSeries(model, argc - 1, argv + 1)
           : pairs     ? cmdTrainPairs(model, argc - 1, argv + 1)
                       : cmdTrain(model, argc - 1, argv + 1);
  }
  if (cmd == "sample")
    return cmdSample(model, argc - 1, argv + 1);
  if (cmd == "translate") {
    if (!pairs)
      throw std::runtime_error("translate needs a translation model (inputs "
                               "\"src\", \"tgt_in\", \"tgt_out\")");
    return cmdEvalPairs(model, argc - 1, argv + 1, true);
  }
  if (pairs && cmd == "eval")
    return cmdEvalPairs(model, argc - 1, argv + 1, false);
  if (pairs && cmd == "predict")
    throw std::runtime_error("a translation model predicts with "
                             "`translate`");
  if (cmd == "eval" || cmd == "predict") {
    bool predict = cmd == "predict";
    if (sentences)
      return cmdEvalSentences(model, argc - 1, argv + 1, predict);
    if (series)
      return cmdEvalSeries(model, argc - 1, argv + 1, predict);
    return cmdEvalOrPredict(model, argc - 1, argv + 1, predict);
  }
  if (cmd == "grad-check")
    return cmdGradCheck(model, argc - 1, argv + 1);
  if (cmd == "bench")
    return cmdBench(model, argc - 1, argv + 1);
  std::fprintf(stderr, "%s: unknown command '%s'\n", argv[0], cmd.c_str());
  std::fprintf(stderr, kUsage, argv[0]);
  return 1;
}

/// A --distributed=mpi trainer's `train` and `bench` join the MPI job
/// (every other command runs as one process, where the step's all-reduces
/// only scale). Null otherwise.
Collectives *joinJob(Model &model, const std::string &cmd, int *argc,
                     char ***argv) {
  if (model.manifest.distributed != "mpi" || (cmd != "train" && cmd != "bench"))
    return nullptr;
  if (!mpiCollectives)
    throw std::runtime_error("this trainer was compiled with "
                             "--distributed=mpi but linked without nngc's "
                             "MPI runtime (libnngc_mpi.a)");
  Collectives *job = mpiCollectives(argc, argv);
  model.ctx.comm = job;
  model.ctx.shardRank = job->rank();
  return job;
}

} // namespace

int main(int argc, char **argv) {
  startSignalThread(); // before oneDNN and OpenMP start threads
  applyThreadsEarly(argc, argv);
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    std::printf(kUsage, argv[0]);
    return argc < 2 ? 1 : 0;
  }
  std::string cmd = argv[1];
  Collectives *job = nullptr;
  // An error on one rank of a job ends the whole job (the others would
  // wait for it in their next collective); a status every rank returns
  // (done, stopped by a signal) leaves it normally.
  auto finish = [&](int status, bool everyRank) {
    if (job) {
      if (!everyRank && job->size() > 1)
        job->abort(status);
      job->finalize();
    }
    return status;
  };
  std::string who = argv[0];
  try {
    if (cmd == "plot")
      return cmdPlot(argc - 1, argv + 1);
    Model model;
    job = joinJob(model, cmd, &argc, &argv);
    if (job && job->size() > 1)
      who += " (rank " + std::to_string(job->rank()) + " of " +
             std::to_string(job->size()) + ")";
    return finish(runCommand(model, cmd, argc, argv), true);
  } catch (const po::error &e) {
    std::fprintf(stderr, "%s %s: %s\n", who.c_str(), cmd.c_str(), e.what());
    return finish(1, false);
  } catch (const NumericsError &e) {
    std::fprintf(stderr, "%s %s: error: %s\n", who.c_str(), cmd.c_str(),
                 e.what());
    return finish(kNumericsExitStatus, false);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s %s: error: %s\n", who.c_str(), cmd.c_str(),
                 e.what());
    return finish(1, false);
  }
}
