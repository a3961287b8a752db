//===- SeriesTrainer.cpp - Forecasting one series -------------------------===//
//
// `train`, `eval` and `predict` for forecasters: models whose f32 input
// named "window" holds T consecutive values of a series ([B, T, 1] or
// [B, T]) and whose label input (nn.mse's target) the H values that follow
// ([B, H] or [B, H, 1]). The series is one column of a CSV file, in file
// order.
//
//   ./trainer train --data sunspots.csv --column SUNACTIVITY --epochs 300
//   ./trainer eval --checkpoint C --data sunspots.csv --column SUNACTIVITY \
//       --horizon 11
//   ./trainer predict --checkpoint C --data sunspots.csv \
//       --column SUNACTIVITY --horizon 11
//
// The split is chronological: the last --val-split of the values are held
// out, and a held-out window's targets all lie there (its past values may
// reach back into the training part, which is what the model would see
// when forecasting). Values are standardised with the training part's mean
// and standard deviation, which the checkpoint keeps. Forecasts further
// than H steps feed the model's own predictions back as inputs. Every
// error is reported in the series' units next to the persistence baseline
// (each future value forecast as the last value seen). See docs/Trainer.md
// ("Forecasting").
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"
#include "nngc/Runtime/Data.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

using namespace nngc::rt;

namespace {

/// The model's window and target inputs.
struct SeriesInputs {
  const InputInfo *window = nullptr, *target = nullptr;
  int64_t batch = 0, past = 0, horizon = 0;
};

SeriesInputs seriesInputs(const Manifest &m) {
  SeriesInputs r;
  for (const InputInfo &in : m.inputs) {
    if (in.name == "window" && !in.isInt && !in.isLabel)
      r.window = &in;
    else if (in.isLabel && !in.isInt && !in.binary && !r.target)
      r.target = &in;
    else
      return {};
  }
  if (!r.window || !r.target)
    return {};
  const std::vector<int64_t> &w = r.window->shape, &t = r.target->shape;
  bool windowOk = (w.size() == 2 || (w.size() == 3 && w[2] == 1));
  bool targetOk = (t.size() == 2 || (t.size() == 3 && t[2] == 1));
  if (!windowOk || !targetOk || w[0] != t[0] || w[0] != m.batch)
    return {};
  r.batch = w[0];
  r.past = w[1];
  r.horizon = t[1];
  return r;
}

/// The model's [B, H] output (the forecast), if it has one.
const OutputInfo *forecastOutput(const Manifest &m, const SeriesInputs &si) {
  for (const OutputInfo &o : m.outputs)
    if (!o.shape.empty() && o.shape[0] == si.batch &&
        o.numElements() == si.batch * si.horizon)
      return &o;
  return nullptr;
}

struct SeriesOptions {
  CsvOptions csv;
  std::string column = "-1";
  double valSplit = 0.2;
};

void addSeriesOptions(po::options_description &desc, SeriesOptions &o) {
  desc.add_options()(
      "column", po::value(&o.column)->default_value("-1"),
      "the series' column: a name, or an index (negative counts from the "
      "end)")("no-header", "the data has no header line")(
      "skip-rows", po::value(&o.csv.skipRows)->default_value(0),
      "lines to drop before the header/data")(
      "delimiter", po::value(&o.csv.delimiter)->default_value(","),
      "cell separator: one character, or 'whitespace'")(
      "val-split", po::value(&o.valSplit)->default_value(0.2, "0.2"),
      "hold out this final fraction of the series (chronological)");
}

void finishSeriesOptions(const po::variables_map &vm, SeriesOptions &o) {
  o.csv.header = !vm.count("no-header");
  if (o.valSplit < 0 || o.valSplit >= 1)
    throw std::runtime_error("--val-split must be in [0, 1)");
}

struct Series {
  std::string path;
  std::vector<double> values;
};

Series readSeries(const std::string &path, const SeriesOptions &o) {
  Table t = readTable(path, o.csv);
  int64_t c = t.column(o.column);
  Series s;
  s.path = path;
  for (int64_t r = 0; r < t.rows(); ++r)
    s.values.push_back(t.at(r, c));
  return s;
}

/// Where the held-out part starts, and the first value of each training
/// and held-out window.
struct Split {
  int64_t heldOutStart = 0;
  std::vector<int64_t> train, heldOut;
};

Split splitSeries(const Series &s, const SeriesOptions &o,
                  const SeriesInputs &si, bool training) {
  auto n = static_cast<int64_t>(s.values.size());
  int64_t span = si.past + si.horizon;
  Split sp;
  sp.heldOutStart = n - static_cast<int64_t>(std::llround(o.valSplit * n));
  for (int64_t i = 0; i + span <= sp.heldOutStart; ++i)
    sp.train.push_back(i);
  for (int64_t i = std::max<int64_t>(sp.heldOutStart - si.past, 0);
       i + span <= n; ++i)
    sp.heldOut.push_back(i);
  if (training && sp.train.empty())
    throw std::runtime_error(s.path + ": " + std::to_string(sp.heldOutStart) +
                             " values to train on, but one window of " +
                             std::to_string(si.past) + " past and " +
                             std::to_string(si.horizon) +
                             " future values needs " + std::to_string(span));
  if (o.valSplit > 0 && sp.heldOut.empty())
    throw std::runtime_error(
        s.path + ": the held-out part (the last " +
        std::to_string(n - sp.heldOutStart) + " of " + std::to_string(n) +
        " values) is shorter than the " + std::to_string(si.horizon) +
        " values a forecast covers");
  return sp;
}

/// The training part's mean and standard deviation (population); a
/// constant series gets 1.
struct Scale {
  double mean = 0, std = 1;

  void fit(const Series &s, int64_t end) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < end; ++i)
      m += s.values[i];
    m /= end;
    for (int64_t i = 0; i < end; ++i)
      v += (s.values[i] - m) * (s.values[i] - m);
    double sd = std::sqrt(v / end);
    mean = m;
    std = sd > 1e-12 ? sd : 1;
  }
  std::vector<float> apply(const Series &s) const {
    std::vector<float> z;
    z.reserve(s.values.size());
    for (double v : s.values)
      z.push_back(static_cast<float>((v - mean) / std));
    return z;
  }
  double invert(float z) const { return z * std + mean; }

  void save(SafetensorsFile &f) const {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", mean);
    f.metadata["nngc.series_mean"] = buf;
    std::snprintf(buf, sizeof(buf), "%.17g", std);
    f.metadata["nngc.series_std"] = buf;
  }
  static Scale load(const SafetensorsFile &f, const std::string &path) {
    auto m = f.metadata.find("nngc.series_mean");
    auto s = f.metadata.find("nngc.series_std");
    if (m == f.metadata.end() || s == f.metadata.end())
      throw std::runtime_error(path + ": no series scaling (nngc.series_mean, "
                                      "nngc.series_std); was it written by "
                                      "this forecaster's train?");
    Scale sc;
    char *end = nullptr;
    sc.mean = std::strtod(m->second.c_str(), &end);
    bool ok = *end == '\0';
    sc.std = std::strtod(s->second.c_str(), &end);
    if (!ok || *end != '\0' || !std::isfinite(sc.mean) ||
        !std::isfinite(sc.std) || sc.std <= 0)
      throw std::runtime_error(path + ": bad series scaling in the metadata");
    return sc;
  }
};

/// Writes windows starts[from, from + B) (fewer at the end) and their
/// targets into the inputs; returns how many. Padding rows are zero and
/// left out of the loss (validRows).
int64_t fillBatch(Model &model, const SeriesInputs &si,
                  const std::vector<float> &z,
                  const std::vector<int64_t> &starts, size_t from) {
  auto *w = static_cast<float *>(model.input(*si.window));
  auto *t = static_cast<float *>(model.input(*si.target));
  int64_t n = std::min<int64_t>(si.batch, starts.size() - from);
  std::fill(w, w + si.batch * si.past, 0.f);
  std::fill(t, t + si.batch * si.horizon, 0.f);
  for (int64_t b = 0; b < n; ++b) {
    const float *s = z.data() + starts[from + b];
    std::copy(s, s + si.past, w + b * si.past);
    std::copy(s + si.past, s + si.past + si.horizon, t + b * si.horizon);
  }
  model.ctx.validRows = n;
  return n;
}

/// Errors in the series' units, the model's and persistence's.
struct Score {
  double loss = 0; ///< the model's loss (standardised units)
  int64_t windows = 0, values = 0;
  double se = 0, ae = 0, persistSe = 0, persistAe = 0;
  double rmse() const { return std::sqrt(se / std::max<int64_t>(values, 1)); }
  double mae() const { return ae / std::max<int64_t>(values, 1); }
  double persistRmse() const {
    return std::sqrt(persistSe / std::max<int64_t>(values, 1));
  }
  double persistMae() const { return persistAe / std::max<int64_t>(values, 1); }
  void add(double forecast, double truth, double last) {
    se += (forecast - truth) * (forecast - truth);
    ae += std::fabs(forecast - truth);
    persistSe += (last - truth) * (last - truth);
    persistAe += std::fabs(last - truth);
    ++values;
  }
};

/// The loss and the H-step errors of windows `starts` (model.eval()).
Score evaluate(Model &model, const SeriesInputs &si, const Series &s,
               const std::vector<float> &z, const Scale &scale,
               const std::vector<int64_t> &starts) {
  Score sc;
  const OutputInfo *out = forecastOutput(model.manifest, si);
  for (size_t b = 0; b < starts.size(); b += si.batch) {
    int64_t n = fillBatch(model, si, z, starts, b);
    model.eval();
    sc.loss += double(model.loss()) * n;
    sc.windows += n;
    if (!out)
      continue;
    const float *o = model.output(*out);
    for (int64_t i = 0; i < n; ++i) {
      int64_t origin = starts[b + i] + si.past; // the first forecast value
      for (int64_t h = 0; h < si.horizon; ++h)
        sc.add(scale.invert(o[i * si.horizon + h]), s.values[origin + h],
               s.values[origin - 1]);
    }
  }
  sc.loss /= std::max<int64_t>(sc.windows, 1);
  return sc;
}

/// Forecasts `steps` values after each origin (the index of the first
/// value to forecast; the T values before it are the first window),
/// feeding predictions back H at a time. Returns them origin by origin,
/// standardised.
std::vector<std::vector<float>> forecast(Model &model, const SeriesInputs &si,
                                         const std::vector<float> &z,
                                         const std::vector<int64_t> &origins,
                                         int64_t steps) {
  const OutputInfo *out = forecastOutput(model.manifest, si);
  if (!out)
    throw std::runtime_error("the model has no [batch, " +
                             std::to_string(si.horizon) +
                             "] output to forecast with (nn.output)");
  std::vector<std::vector<float>> result(origins.size());
  auto *w = static_cast<float *>(model.input(*si.window));
  for (size_t b = 0; b < origins.size(); b += si.batch) {
    int64_t n = std::min<int64_t>(si.batch, origins.size() - b);
    // Each row's history: its window, then its forecasts so far.
    std::vector<std::vector<float>> hist(n);
    for (int64_t i = 0; i < n; ++i)
      hist[i].assign(z.begin() + origins[b + i] - si.past,
                     z.begin() + origins[b + i]);
    for (int64_t done = 0; done < steps; done += si.horizon) {
      std::fill(w, w + si.batch * si.past, 0.f);
      for (int64_t i = 0; i < n; ++i)
        std::copy(hist[i].end() - si.past, hist[i].end(), w + i * si.past);
      model.ctx.validRows = n;
      model.predict();
      const float *o = model.output(*out);
      for (int64_t i = 0; i < n; ++i)
        hist[i].insert(hist[i].end(), o + i * si.horizon,
                       o + (i + 1) * si.horizon);
    }
    for (int64_t i = 0; i < n; ++i)
      result[b + i].assign(hist[i].begin() + si.past,
                           hist[i].begin() + si.past + steps);
  }
  return result;
}

/// `steps`-ahead forecasts from every origin whose targets lie in the
/// held-out part, scored against the truth and persistence.
Score scoreForecasts(Model &model, const SeriesInputs &si, const Series &s,
                     const std::vector<float> &z, const Scale &scale,
                     int64_t heldOutStart, int64_t steps) {
  auto n = static_cast<int64_t>(s.values.size());
  std::vector<int64_t> origins;
  for (int64_t o = std::max(heldOutStart, si.past); o + steps <= n; ++o)
    origins.push_back(o);
  Score sc;
  std::vector<std::vector<float>> f = forecast(model, si, z, origins, steps);
  for (size_t i = 0; i < origins.size(); ++i)
    for (int64_t k = 0; k < steps; ++k)
      sc.add(scale.invert(f[i][k]), s.values[origins[i] + k],
             s.values[origins[i] - 1]);
  sc.windows = static_cast<int64_t>(origins.size());
  return sc;
}

std::string scoreText(const Score &s, bool withLoss) {
  char buf[160];
  int len = 0;
  if (withLoss)
    len = std::snprintf(buf, sizeof(buf), "loss %.4f  ", s.loss);
  std::snprintf(buf + len, sizeof(buf) - len,
                "rmse %.4g  mae %.4g  (persistence rmse %.4g  mae %.4g)",
                s.rmse(), s.mae(), s.persistRmse(), s.persistMae());
  return buf;
}

void scoreJson(JsonLine &j, const std::string &prefix, const Score &s) {
  j.add(prefix + "rmse", s.rmse())
      .add(prefix + "mae", s.mae())
      .add(prefix + "persistence_rmse", s.persistRmse())
      .add(prefix + "persistence_mae", s.persistMae());
}

} // namespace

bool nngc::rt::isForecaster(const Manifest &m) {
  return seriesInputs(m).window != nullptr;
}

int nngc::rt::cmdTrainSeries(Model &model, int argc, char **argv) {
  std::string dataPath;
  int64_t epochs = 100, evalEvery = 10;
  SeriesOptions so;
  po::options_description desc("train options (forecaster)");
  desc.add_options()("help,h", "show this help")(
      "data", po::value(&dataPath)->required(), "the series (CSV, .gz ok)")(
      "epochs", po::value(&epochs)->default_value(100),
      "passes over the training windows in all (a resumed run continues to "
      "this epoch)")("eval-every", po::value(&evalEvery)->default_value(10),
                     "epochs between records (and held-out evaluations)");
  addSeriesOptions(desc, so);
  RunOptions runOptions;
  addRunOptions(desc, runOptions);
  OptimizerOptions optOptions;
  addOptimizerOptions(desc, optOptions);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm,
                    "usage: trainer train --data FILE [--column C] "
                    "[options]\n"))
    return 0;
  finishSeriesOptions(vm, so);
  const Manifest &m = model.manifest;
  SeriesInputs si = seriesInputs(m);
  requireTrainable(m);
  if (epochs < 1)
    throw std::runtime_error("--epochs must be at least 1");
  if (evalEvery < 1)
    throw std::runtime_error("--eval-every must be at least 1");
  TrainRun run(model, runOptions, vm, "windows");
  applyOptimizerOptions(model, vm, optOptions);

  Series s = readSeries(dataPath, so);
  Split sp = splitSeries(s, so, si, true);
  run.setDataHash(xxh64(s.values.data(), sp.heldOutStart * sizeof(double)));

  Scale scale;
  std::ostringstream head;
  if (run.resumed) {
    scale = Scale::load(*run.resumed, runOptions.resume);
    head << run.resumedLine();
  } else {
    model.initParams(run.pos.seed);
    scale.fit(s, sp.heldOutStart);
  }
  std::vector<float> z = scale.apply(s);
  int64_t batch = si.batch;
  auto nTrain = static_cast<int64_t>(sp.train.size());
  // In a job, a step takes a global batch (TrainRun::runEpochs).
  int64_t global = run.globalBatch(batch);
  int64_t steps = (nTrain + global - 1) / global;
  head << "training " << m.model << " on " << dataPath << ": "
       << s.values.size() << " values (" << sp.heldOutStart << " for training, "
       << s.values.size() - sp.heldOutStart << " held out), windows of "
       << si.past << " -> " << si.horizon << ", " << nTrain
       << " training windows, batch " << batch
       << (run.job ? " on each of " + std::to_string(run.ranks()) + " ranks"
                   : std::string())
       << ", " << steps << " steps per epoch, " << omp_get_max_threads()
       << " threads\n";
  run.info(head.str());
  run.setTotalSteps(epochs * steps);

  auto save = [&]() {
    SafetensorsFile f = model.checkpoint();
    scale.save(f);
    f.metadata["epoch"] = std::to_string(run.pos.epoch - 1); // finished
    run.save(std::move(f));
  };
  auto fill = [&](const std::vector<int64_t> &order, int64_t b) {
    return fillBatch(model, si, z, order, b * batch);
  };
  auto endEpoch = [&](int64_t epoch) {
    if (epoch % evalEvery && epoch != epochs)
      return;
    double windowsPerS = run.throughput();
    double trainLoss = run.takeMeanLoss();
    char line[320];
    int len = std::snprintf(line, sizeof(line),
                            "epoch %4lld  train loss %.4f  %.0f windows/s",
                            (long long)epoch, trainLoss, windowsPerS);
    JsonLine json;
    json.add("epoch", epoch)
        .add("step", model.ctx.step)
        .add("train_loss", trainLoss);
    if (!sp.heldOut.empty()) {
      Score v = evaluate(model, si, s, z, scale, sp.heldOut);
      run.lastValLoss = v.loss;
      std::snprintf(line + len, sizeof(line) - len, "  |  val %s",
                    scoreText(v, true).c_str());
      json.add("val_loss", v.loss);
      scoreJson(json, "val_", v);
    }
    run.record(line, json);
  };
  if (int status = run.runEpochs(epochs, steps, sp.train,
                                 /*cumulative=*/false, fill, endEpoch, save))
    return status;
  std::ostringstream tail;
  tail << "done in " << secondsSince(run.startTime()) << " s";
  if (!runOptions.save.empty())
    tail << "; checkpoint " << runOptions.save;
  JsonLine json;
  json.add("done", model.ctx.step);
  if (!sp.heldOut.empty()) {
    Score v = evaluate(model, si, s, z, scale, sp.heldOut);
    tail << "\nheld-out: " << scoreText(v, false) << " on " << v.windows
         << " windows";
    scoreJson(json, "val_", v);
  }
  run.done(tail.str(), json);
  return 0;
}

int nngc::rt::cmdEvalSeries(Model &model, int argc, char **argv, bool predict) {
  std::string dataPath, checkpoint, output;
  int64_t horizon = 0;
  SeriesOptions so;
  po::options_description desc(predict ? "predict options (forecaster)"
                                       : "eval options (forecaster)");
  desc.add_options()("help,h", "show this help")(
      "checkpoint", po::value(&checkpoint)->required(),
      "a checkpoint written by train --save")(
      "data", po::value(&dataPath)->required(),
      predict ? "the series to continue (its last values are the window)"
              : "the series (the same split as train's)")(
      "horizon", po::value(&horizon),
      predict ? "values to forecast (default: the model's H)"
              : "also score forecasts this many steps ahead from every "
                "held-out origin, feeding predictions back");
  if (predict)
    desc.add_options()("output,o", po::value(&output),
                       "write the forecast here (CSV) instead of stdout");
  addSeriesOptions(desc, so);
  addThreadsOption(desc);
  po::variables_map vm;
  if (!parseOptions(argc, argv, desc, vm, ""))
    return 0;
  finishSeriesOptions(vm, so);
  SeriesInputs si = seriesInputs(model.manifest);
  if (vm.count("horizon") && horizon < 1)
    throw std::runtime_error("--horizon must be at least 1");
  Scale scale =
      Scale::load(loadCheckpoint(model, checkpoint, false), checkpoint);
  Series s = readSeries(dataPath, so);
  std::vector<float> z = scale.apply(s);
  auto n = static_cast<int64_t>(s.values.size());

  if (predict) {
    if (n < si.past)
      throw std::runtime_error(dataPath + ": " + std::to_string(n) +
                               " values, but the model's window takes " +
                               std::to_string(si.past));
    int64_t steps = horizon ? horizon : si.horizon;
    std::vector<float> f = forecast(model, si, z, {n}, steps)[0];
    std::ofstream file;
    if (!output.empty()) {
      file.open(output);
      if (!file)
        throw std::runtime_error(output + ": cannot write");
    }
    std::ostream &os = output.empty() ? std::cout : file;
    os << "step,forecast\n";
    char buf[64];
    for (int64_t k = 0; k < steps; ++k) {
      std::snprintf(buf, sizeof(buf), "%lld,%.9g\n", (long long)(k + 1),
                    scale.invert(f[k]));
      os << buf;
    }
    if (!output.empty() && !file.flush())
      throw std::runtime_error(output + ": write failed");
    return 0;
  }

  // eval with --val-split 0 scores every window of the file.
  Split sp = splitSeries(s, so, si, false);
  std::vector<int64_t> windows = sp.heldOut;
  if (so.valSplit == 0)
    windows = sp.train;
  if (windows.empty())
    throw std::runtime_error(dataPath + ": no window of " +
                             std::to_string(si.past + si.horizon) +
                             " values to score");
  int64_t from = so.valSplit == 0 ? 0 : sp.heldOutStart;
  Score sc = evaluate(model, si, s, z, scale, windows);
  std::cout << si.horizon << "-step: " << scoreText(sc, true) << " on "
            << sc.windows << " windows\n";
  if (horizon) {
    Score f = scoreForecasts(model, si, s, z, scale, from, horizon);
    if (!f.windows)
      throw std::runtime_error(dataPath +
                               ": the scored part is shorter than "
                               "--horizon " +
                               std::to_string(horizon));
    std::cout << horizon << "-step recursive: " << scoreText(f, false) << " on "
              << f.windows << " origins\n";
  }
  return 0;
}
