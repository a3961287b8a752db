//===- TrainRun.cpp - What every train command shares ---------------------===//
//
// Resuming, checkpoints, stopping on signals, the numerics guard and the
// run's output; see TrainRun.h.
//
//===----------------------------------------------------------------------===//

#include "TrainRun.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <iostream>
#include <pthread.h>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace nngc::rt;

//===----------------------------------------------------------------------===//
// Signals
//===----------------------------------------------------------------------===//

namespace {
/// The signal that asked the run to stop (0: none), and whether a train
/// loop is running to honour it.
std::atomic<int> stopSignal{0};
std::atomic<bool> gracefulStop{false};
} // namespace

/// SIGINT and SIGTERM are blocked in every thread (main blocks them before
/// oneDNN and OpenMP start theirs) and taken synchronously by one thread
/// with sigwait. An asynchronous handler could run on an OpenMP worker in
/// the middle of a oneDNN primitive: a SIGTERM during an LSTM step
/// corrupted oneDNN 2.6's heap about once in twenty runs.
void nngc::rt::startSignalThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0)
        continue;
      // The first signal during training stops it after the step; any
      // other ends the process at once (checkpoints are only ever
      // replaced by a rename, so the one on disk stays intact).
      int none = 0;
      if (gracefulStop && stopSignal.compare_exchange_strong(none, sig))
        continue;
      std::fflush(stdout);
      _exit(128 + sig);
    }
  }).detach();
}

namespace {
std::string formatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double parseDouble(const std::string &s, const std::string &what) {
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end)
    throw std::runtime_error(what + ": not a number: '" + s + "'");
  return v;
}

int64_t parseInt(const std::string &s, const std::string &what) {
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end)
    throw std::runtime_error(what + ": not an integer: '" + s + "'");
  return v;
}
} // namespace

//===----------------------------------------------------------------------===//
// Options and JSON lines
//===----------------------------------------------------------------------===//

void nngc::rt::addRunOptions(po::options_description &desc, RunOptions &o) {
  desc.add_options()("seed", po::value(&o.seed)->default_value(0),
                     "seed for initialisation, the split, the data order and "
                     "dropout (resuming keeps the checkpoint's)")(
      "save", po::value(&o.save),
      "write checkpoints here (atomically): at every record, every "
      "--save-every steps, and when SIGINT/SIGTERM stops the run")(
      "save-every", po::value(&o.saveEvery)->default_value(0),
      "also save every N optimizer steps (0: only at records)")(
      "keep-last", po::value(&o.keepLast)->default_value(1),
      "keep the K newest checkpoints as FILE.stepN.safetensors, FILE "
      "pointing at the newest (1: FILE only)")(
      "resume", po::value(&o.resume),
      "continue from this checkpoint exactly where it stopped")(
      "log", po::value(&o.log), "append each record as a JSON line")(
      "quiet", po::bool_switch(&o.quiet),
      "print only errors and the last line")(
      "json", po::bool_switch(&o.json),
      "print records as JSON lines on stdout, nothing else")(
      "check-numerics", po::bool_switch(&o.checkNumerics),
      "check every op's result for NaN/Inf and name the first op that "
      "produced one");
}

JsonLine &JsonLine::add(const std::string &key, double v) {
  body += (body.size() > 1 ? "," : "") + jsonQuote(key) + ":" +
          (std::isfinite(v) ? formatDouble(v) : std::string("null"));
  return *this;
}
JsonLine &JsonLine::add(const std::string &key, int64_t v) {
  body +=
      (body.size() > 1 ? "," : "") + jsonQuote(key) + ":" + std::to_string(v);
  return *this;
}
JsonLine &JsonLine::add(const std::string &key, const std::string &v) {
  body += (body.size() > 1 ? "," : "") + jsonQuote(key) + ":" + jsonQuote(v);
  return *this;
}

//===----------------------------------------------------------------------===//
// Resuming
//===----------------------------------------------------------------------===//

std::string nngc::rt::firstNonFiniteParam(Model &model) {
  for (const ParamInfo &p : model.manifest.params) {
    const float *w = model.param(p);
    for (int64_t i = 0, n = p.numElements(); i < n; ++i)
      if (!std::isfinite(w[i]))
        return p.name;
  }
  return "";
}

/// The schedule, clipping and dropout override as a checkpoint stores them.
static void storeSchedule(const Model &model, SafetensorsFile &f) {
  const Schedule &s = model.schedule;
  const char *kind = s.kind == Schedule::WarmupCosine ? "warmup_cosine"
                     : s.kind == Schedule::StepLR     ? "step_lr"
                                                      : "constant";
  f.metadata["nngc.schedule"] = JsonLine()
                                    .add("kind", std::string(kind))
                                    .add("base_scale", s.baseScale)
                                    .add("warmup", s.warmup)
                                    .add("decay_steps", s.decaySteps)
                                    .add("min_lr", s.minLr)
                                    .add("step_size", s.stepSize)
                                    .add("gamma", s.gamma)
                                    .str();
  f.metadata["lr_scale"] = formatDouble(s.baseScale);
  f.metadata["nngc.clip"] = formatDouble(model.ctx.clipNorm);
  f.metadata["nngc.dropout"] = formatDouble(model.ctx.dropoutOverride);
}

static void restoreSchedule(Model &model, const SafetensorsFile &f,
                            const std::string &path) {
  auto get = [&](const char *k) {
    auto it = f.metadata.find(k);
    return it == f.metadata.end() ? nullptr : &it->second;
  };
  try {
    if (const std::string *sched = get("nngc.schedule")) {
      Json j = Json::parse(*sched);
      Schedule &s = model.schedule;
      std::string kind = j.at("kind").asString();
      s.kind = kind == "warmup_cosine" ? Schedule::WarmupCosine
               : kind == "step_lr"     ? Schedule::StepLR
                                       : Schedule::Constant;
      s.baseScale = j.at("base_scale").asNumber();
      s.warmup = j.at("warmup").asInt();
      s.decaySteps = j.at("decay_steps").asInt();
      s.minLr = j.at("min_lr").asNumber();
      s.stepSize = j.at("step_size").asInt();
      s.gamma = j.at("gamma").asNumber();
    } else if (const std::string *scale = get("lr_scale")) {
      model.schedule.baseScale = parseDouble(*scale, "lr_scale");
    }
    if (const std::string *clip = get("nngc.clip"))
      model.ctx.clipNorm = parseDouble(*clip, "nngc.clip");
    if (const std::string *p = get("nngc.dropout"))
      model.ctx.dropoutOverride = parseDouble(*p, "nngc.dropout");
  } catch (const std::exception &e) {
    throw std::runtime_error(path + ": bad schedule metadata: " + e.what());
  }
}

/// The folder `path` is in.
static std::string dirOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "."
         : slash == 0               ? "/"
                                    : path.substr(0, slash);
}

/// Removes FILE.tmp.PID and FILE.link.PID left by a process that was
/// killed while it wrote FILE (the rename never happened, FILE is intact).
static void removeStaleTemporaries(const std::string &path) {
  std::string dir = dirOf(path), base = path.substr(path.rfind('/') + 1);
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return;
  while (dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    for (const char *kind : {".tmp.", ".link."}) {
      std::string prefix = base + kind;
      if (name.size() <= prefix.size() ||
          name.compare(0, prefix.size(), prefix))
        continue;
      std::string pid = name.substr(prefix.size());
      if (!std::all_of(pid.begin(), pid.end(), ::isdigit))
        continue;
      pid_t p = static_cast<pid_t>(std::stol(pid));
      if (p != getpid() && ::kill(p, 0) != 0 && errno == ESRCH)
        ::unlink((dir + "/" + name).c_str());
    }
  }
  ::closedir(d);
}

TrainRun::TrainRun(Model &model, const RunOptions &o,
                   const po::variables_map &vm, std::string unit)
    : model(model), options(o), lastValLoss(std::nan("")),
      unit(std::move(unit)) {
  if (o.saveEvery < 0)
    throw std::runtime_error("--save-every must not be negative");
  if (o.keepLast < 1)
    throw std::runtime_error("--keep-last must be at least 1");
  if (o.quiet && o.json)
    throw std::runtime_error("give --quiet or --json, not both");
  if ((o.saveEvery || o.keepLast > 1) && o.save.empty())
    throw std::runtime_error("--save-every and --keep-last need --save");
  if (model.ctx.comm && model.ctx.comm->size() > 1) {
    job = model.ctx.comm;
    lead = job->rank() == 0;
  }
  pos.seed = o.seed;
  if (!o.resume.empty()) {
    resumed = loadCheckpoint(model, o.resume, /*optimizer=*/true);
    const SafetensorsFile &f = *resumed;
    auto get = [&](const char *k) {
      auto it = f.metadata.find(k);
      return it == f.metadata.end() ? nullptr : &it->second;
    };
    auto need = [&](const char *k) -> const std::string & {
      const std::string *v = get(k);
      if (!v)
        throw std::runtime_error(std::string("no ") + k);
      return *v;
    };
    try {
      if (const std::string *s = get("nngc.seed")) {
        char *end = nullptr;
        uint64_t saved = std::strtoull(s->c_str(), &end, 10);
        if (end == s->c_str() || *end)
          throw std::runtime_error("nngc.seed: not a seed: '" + *s + "'");
        if (vm.count("seed") && !vm["seed"].defaulted() && saved != o.seed)
          std::cerr << "note: --seed " << o.seed << " replaces the "
                    << "checkpoint's seed " << saved
                    << ": the run will not continue as it would have\n";
        else
          pos.seed = saved;
      }
      if (const std::string *e = get("nngc.epoch")) {
        pos.epoch = parseInt(*e, "nngc.epoch");
        pos.batch = parseInt(need("nngc.batch"), "nngc.batch");
      } else if (const std::string *e = get("epoch")) {
        pos.epoch = parseInt(*e, "epoch") + 1; // older checkpoints
      }
      if (const std::string *l = get("nngc.loss_sum")) {
        pos.lossSum = parseDouble(*l, "nngc.loss_sum");
        pos.lossWeight =
            parseDouble(need("nngc.loss_weight"), "nngc.loss_weight");
      }
      if (const std::string *r = get("nngc.data_rng"))
        pos.dataRng = *r;
      // A run resumed with another number of ranks has another global
      // batch: it goes on from the first whole batch not yet done.
      int64_t global = globalBatch(model.manifest.batch);
      if (const std::string *g = get("nngc.global_batch")) {
        int64_t saved = parseInt(*g, "nngc.global_batch");
        if (saved < 1)
          throw std::runtime_error("nngc.global_batch must be positive");
        if (saved != global && pos.batch > 0) {
          int64_t rows = pos.batch * saved;
          pos.batch = rows / global;
          if (lead)
            std::cerr << "note: " << o.resume << " was written with a "
                      << "global batch of " << saved << " rows, this run's is "
                      << global << ": epoch " << pos.epoch
                      << " goes on from row " << pos.batch * global << " ("
                      << rows - pos.batch * global << " rows again)\n";
        }
      }
      if (pos.epoch < 1 || pos.batch < 0 || !(pos.lossWeight >= 0))
        throw std::runtime_error("a negative epoch, batch or loss weight");
    } catch (const std::exception &e) {
      throw std::runtime_error(o.resume + ": bad run metadata: " + e.what());
    }
    restoreSchedule(model, f, o.resume);
    savedStep = model.ctx.step;
    savedPath = o.resume;
  }
  model.ctx.seed = pos.seed;
  model.ctx.checkNumerics = o.checkNumerics;
  if (o.checkNumerics && !model.manifest.hasNumericsChecks)
    throw std::runtime_error("--check-numerics: this trainer was compiled "
                             "without numerics checks (recompile it with "
                             "this nngc)");
  firstStep = model.ctx.step;
  if (!o.save.empty() && lead)
    removeStaleTemporaries(o.save);
  if (!o.log.empty() && lead) {
    log.open(o.log, std::ios::app);
    if (!log)
      throw std::runtime_error(o.log + ": cannot open for appending");
  }
  tty = lead && isatty(STDERR_FILENO) && !o.quiet && !o.json;
  start = sinceRecord = Clock::now();
  lastProgress = start - std::chrono::seconds(1); // the first step shows it
  stopSignal = 0;
  gracefulStop = true;
}

TrainRun::~TrainRun() { gracefulStop = false; }

std::string TrainRun::resumedLine() const {
  std::ostringstream o;
  o << "resumed from " << options.resume << " (epoch ";
  if (pos.batch)
    o << pos.epoch << " at batch " << pos.batch;
  else
    o << pos.epoch - 1;
  o << ", step " << model.ctx.step << ")\n";
  return o.str();
}

void TrainRun::setDataHash(uint64_t hash) {
  dataHash = hash;
  if (!resumed)
    return;
  auto it = resumed->metadata.find("nngc.data_hash");
  if (it != resumed->metadata.end() && it->second != hex64(hash))
    std::cerr << "note: the training data differs from the one "
              << options.resume
              << " was trained on: the run will not continue as it would "
                 "have\n";
}

//===----------------------------------------------------------------------===//
// Steps, numerics and checkpoints
//===----------------------------------------------------------------------===//

/// What a numerics failure adds: where the last good state is.
std::string TrainRun::lastGood() const {
  if (savedStep < 0)
    return options.save.empty() ? "; no checkpoint (--save) is written"
                                : "; nothing was saved before it";
  return "; " + savedPath + " holds step " + std::to_string(savedStep) +
         ", the last good state";
}

void TrainRun::sumAcrossRanks(double *values, int n, const char *what) {
  if (job)
    job->sum(values, n, what);
}

void TrainRun::stepDoneLater(double weight, int64_t samples,
                             const std::string &where) {
  if (!model.device || job) {
    stepDone(model.loss(), weight, samples, where);
    return;
  }
  pendingLosses.push_back(
      {model.lossLater(), weight, samples, model.ctx.step, where});
  if (pendingLosses.size() >= static_cast<size_t>(Model::kLossesInFlight) ||
      saveDue() || stopStatus() || (tty && secondsSince(lastProgress) > 0.25))
    flushLosses();
}

void TrainRun::flushLosses() {
  if (pendingLosses.empty())
    return;
  model.device->synchronize();
  std::vector<PendingLoss> pending;
  pending.swap(pendingLosses);
  for (const PendingLoss &p : pending)
    stepDone(*p.loss, p.weight, p.samples, p.where, p.step);
}

void TrainRun::stepDone(float loss, double weight, int64_t samples,
                        const std::string &where, int64_t step) {
  if (step < 0)
    step = model.ctx.step;
  if (job) {
    // The global batch's loss (each rank's weighted by its rows), its
    // samples, and whether any rank was asked to stop.
    int local = stopSignal ? 128 + stopSignal : 0;
    double lw = shardLossWeight >= 0 ? shardLossWeight : weight;
    double v[6] = {
        double(loss) * lw,   lw, weight, double(samples), double(local == 130),
        double(local == 143)};
    job->sum(v, 6, "the sum of the step's losses");
    loss = static_cast<float>(v[1] > 0 ? v[0] / v[1] : 0);
    weight = v[2];
    samples = static_cast<int64_t>(v[3]);
    agreedStop = v[5] > 0 ? 143 : v[4] > 0 ? 130 : 0;
  }
  if (!std::isfinite(loss)) {
    clearProgress();
    throw NumericsError(
        "the loss became " + std::string(std::isnan(loss) ? "nan" : "inf") +
        " at step " + std::to_string(step) + " (" + where + ")" + lastGood() +
        " (lower --lr or clip with --clip; --check-numerics names the first "
        "op that produced it)");
  }
  pos.lossSum += double(loss) * weight;
  pos.lossWeight += weight;
  samplesSinceRecord += samples;
  if (tty && secondsSince(lastProgress) > 0.25)
    progress(where);
}

void TrainRun::train(const std::string &where) {
  if (job) {
    job->step = model.ctx.step + 1;
    if (!synced) {
      // Every rank starts from rank 0's parameters and optimizer state.
      job->broadcast(model.params.data(), model.params.size(),
                     "the broadcast of the parameters");
      job->broadcast(model.state.data(), model.state.size(),
                     "the broadcast of the optimizer state");
      synced = true;
    }
  }
  try {
    model.train();
  } catch (const NumericsError &e) {
    clearProgress();
    throw NumericsError(std::string(e.what()) + " at step " +
                        std::to_string(model.ctx.step) + " (" + where + ")" +
                        lastGood());
  }
}

int TrainRun::epochSteps(int64_t steps,
                         const std::function<int64_t(int64_t)> &fill,
                         const std::function<void()> &save) {
  for (int64_t b = pos.batch; b < steps; ++b) {
    int64_t n = fill(b);
    std::string where = "epoch " + std::to_string(pos.epoch) + " step " +
                        std::to_string(b + 1) + "/" + std::to_string(steps);
    train(where);
    stepDoneLater(n, n, where);
    pos.batch = b + 1;
    // The epoch's last batch is saved at the epoch's end, after its record.
    if (b + 1 < steps && (saveDue() || stopStatus())) {
      flushLosses();
      save();
      if (stopStatus())
        return stop(where);
    }
  }
  flushLosses();
  return 0;
}

int TrainRun::runEpochs(
    int64_t total, int64_t steps, std::vector<int64_t> order, bool cumulative,
    const std::function<int64_t(const std::vector<int64_t> &, int64_t)> &fill,
    const std::function<void(int64_t)> &endEpoch,
    const std::function<void()> &save,
    const std::function<double(int64_t)> &rowWeight) {
  uint64_t seed = pos.seed;
  std::vector<int64_t> base = order;
  // A resumed run replays the shuffles of the epochs before its own.
  if (cumulative)
    for (int64_t e = 1; e < pos.epoch; ++e) {
      std::mt19937_64 rng(seed * 7919 + e);
      std::shuffle(order.begin(), order.end(), rng);
    }
  int64_t batch = model.manifest.batch, global = globalBatch(batch);
  std::vector<int64_t> shard;
  std::vector<float> scale;
  while (pos.epoch <= total) {
    int64_t epoch = pos.epoch;
    std::mt19937_64 rng(seed * 7919 + epoch);
    if (!cumulative)
      order = base;
    std::shuffle(order.begin(), order.end(), rng);
    if (!job) {
      if (int status = epochSteps(
              steps, [&](int64_t b) { return fill(order, b); }, save))
        return status;
    } else {
      // This rank's rows of each global batch, batch after batch.
      shard.clear();
      scale.assign(steps, 0.f);
      std::vector<int64_t> own(steps, 0);
      std::vector<double> ownWeight(steps, 0);
      auto n = static_cast<int64_t>(order.size());
      auto weightOf = [&](int64_t row) {
        return rowWeight ? rowWeight(row) : 1.0;
      };
      for (int64_t b = 0; b < steps; ++b) {
        int64_t first = b * global, rows = std::min(global, n - first);
        int64_t from = first + rank() * batch;
        own[b] = std::clamp<int64_t>(first + rows - from, 0, batch);
        // Every rank knows the whole order, so each works out the global
        // batch's weight alone.
        double all = 0;
        for (int64_t i = first; i < first + rows; ++i)
          all += weightOf(order[i]);
        for (int64_t i = 0; i < own[b]; ++i) {
          shard.push_back(order[from + i]);
          ownWeight[b] += weightOf(order[from + i]);
        }
        if (own[b] == 0) // a row to compute on, at gradient scale 0
          shard.push_back(order[first]);
        scale[b] = all > 0 ? static_cast<float>(ownWeight[b] / all) : 0.f;
      }
      auto fillShard = [&](int64_t b) {
        fill(shard, b);
        model.ctx.gradScale = scale[b];
        shardLossWeight = rowWeight ? ownWeight[b] : -1;
        return own[b];
      };
      int status = epochSteps(steps, fillShard, save);
      shardLossWeight = -1;
      if (status)
        return status;
    }
    endEpoch(epoch);
    pos.epoch = epoch + 1;
    pos.batch = 0;
    save();
    if (stopStatus() && epoch < total)
      return stop("after epoch " + std::to_string(epoch));
  }
  return 0;
}

double TrainRun::takeMeanLoss() {
  flushLosses();
  recordThroughput = throughput();
  double mean = pos.lossWeight > 0 ? pos.lossSum / pos.lossWeight : 0;
  pos.lossSum = pos.lossWeight = 0;
  return mean;
}

double TrainRun::throughput() {
  flushLosses();
  double s = secondsSince(sinceRecord);
  return s > 0 ? samplesSinceRecord / s : 0;
}

double TrainRun::lr() const {
  return model.schedule.compiledLr > 0
             ? model.schedule.compiledLr * model.ctx.lrScale
             : model.ctx.lrScale;
}

int TrainRun::stopStatus() const {
  if (job)
    return agreedStop;
  int sig = stopSignal;
  return sig ? 128 + sig : 0;
}

bool TrainRun::saveDue() const {
  return !options.save.empty() && options.saveEvery > 0 &&
         model.ctx.step % options.saveEvery == 0;
}

void TrainRun::save(SafetensorsFile f) {
  // A step whose loss is not finite stops the run before its checkpoint.
  flushLosses();
  if (options.save.empty() ||
      (savedStep == model.ctx.step && savedPath == options.save))
    return;
  std::string bad = firstNonFiniteParam(model);
  if (!bad.empty()) {
    clearProgress();
    throw NumericsError("parameter '" + bad + "' is not finite after step " +
                        std::to_string(model.ctx.step) + "; it was not saved" +
                        lastGood() + " (lower --lr or clip with --clip)");
  }
  // Every rank holds the same parameters; rank 0 writes them.
  if (!lead) {
    savedStep = model.ctx.step;
    savedPath = options.save;
    return;
  }
  f.metadata["nngc.global_batch"] =
      std::to_string(globalBatch(model.manifest.batch));
  f.metadata["step"] = std::to_string(model.ctx.step);
  f.metadata["nngc.seed"] = std::to_string(pos.seed);
  f.metadata["nngc.epoch"] = std::to_string(pos.epoch);
  f.metadata["nngc.batch"] = std::to_string(pos.batch);
  f.metadata["nngc.loss_sum"] = formatDouble(pos.lossSum);
  f.metadata["nngc.loss_weight"] = formatDouble(pos.lossWeight);
  if (!pos.dataRng.empty())
    f.metadata["nngc.data_rng"] = pos.dataRng;
  f.metadata["nngc.data_hash"] = hex64(dataHash);
  storeSchedule(model, f);
  const std::string &path = options.save;
  if (options.keepLast <= 1) {
    f.write(path);
  } else {
    size_t slash = path.rfind('/'), dot = path.rfind('.');
    bool hasExt =
        dot != std::string::npos && (slash == std::string::npos || dot > slash);
    char step[32];
    std::snprintf(step, sizeof step, ".step%08lld", (long long)model.ctx.step);
    std::string numbered = (hasExt ? path.substr(0, dot) : path) + step +
                           (hasExt ? path.substr(dot) : std::string());
    f.write(numbered);
    // FILE becomes the newest one: a hard link renamed into place.
    std::string tmp = path + ".link." + std::to_string(getpid());
    ::unlink(tmp.c_str());
    if (::link(numbered.c_str(), tmp.c_str()) != 0 ||
        std::rename(tmp.c_str(), path.c_str()) != 0) {
      ::unlink(tmp.c_str());
      f.write(path);
    } else if (int dfd = ::open(dirOf(path).c_str(), O_RDONLY | O_DIRECTORY);
               dfd >= 0) { // the rename is durable once the folder is
      ::fsync(dfd);
      ::close(dfd);
    }
    rotate();
  }
  savedStep = model.ctx.step;
  savedPath = path;
}

/// Removes all but the --keep-last newest FILE.stepN checkpoints.
void TrainRun::rotate() {
  const std::string &path = options.save;
  std::string dir = dirOf(path), base = path.substr(path.rfind('/') + 1);
  size_t dot = base.rfind('.');
  std::string stem = dot == std::string::npos ? base : base.substr(0, dot);
  std::string ext = dot == std::string::npos ? "" : base.substr(dot);
  std::vector<std::string> found;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      std::string prefix = stem + ".step";
      if (name.size() != prefix.size() + 8 + ext.size() ||
          name.compare(0, prefix.size(), prefix) ||
          name.compare(name.size() - ext.size(), ext.size(), ext))
        continue;
      std::string digits = name.substr(prefix.size(), 8);
      if (std::all_of(digits.begin(), digits.end(), ::isdigit))
        found.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(found.begin(), found.end()); // zero-padded: by step
  for (size_t i = 0; i + options.keepLast < found.size(); ++i)
    ::unlink((dir + "/" + found[i]).c_str());
}

int TrainRun::stop(const std::string &where) {
  flushLosses();
  clearProgress();
  int status = stopStatus();
  if (!lead)
    return status;
  const char *sig = status == 130 ? "SIGINT" : "SIGTERM";
  if (options.json) {
    JsonLine j;
    j.add("stopped", std::string(sig)).add("step", model.ctx.step);
    if (!options.save.empty())
      j.add("checkpoint", options.save);
    std::cout << j.str() << std::endl;
    return status;
  }
  std::cout << "stopped by " << sig << " at step " << model.ctx.step << " ("
            << where << ")";
  if (!options.save.empty())
    std::cout << "; saved " << options.save << ": continue with --resume "
              << options.save;
  else
    std::cout << "; nothing saved (no --save)";
  std::cout << std::endl;
  return status;
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

void TrainRun::info(const std::string &text) {
  if (lead && !options.quiet && !options.json)
    std::cout << text << std::flush;
}

void TrainRun::progress(const std::string &where) {
  lastProgress = Clock::now();
  double elapsed = secondsSince(start);
  int64_t done = model.ctx.step - firstStep;
  char line[256];
  int n = std::snprintf(line, sizeof line, "\r%s  loss %.4f", where.c_str(),
                        pos.lossWeight > 0 ? pos.lossSum / pos.lossWeight : 0);
  if (std::isfinite(lastValLoss))
    n += std::snprintf(line + n, sizeof line - n, "  val %.4f", lastValLoss);
  n += std::snprintf(line + n, sizeof line - n, "  %.0f %s/s  lr %.3g",
                     throughput(), unit.c_str(), lr());
  if (totalSteps > model.ctx.step && done > 0) {
    double eta = elapsed / done * (totalSteps - model.ctx.step);
    n += std::snprintf(line + n, sizeof line - n, "  ETA %lldm%02llds",
                       (long long)eta / 60, (long long)eta % 60);
  }
  std::fprintf(stderr, "%s\033[K", line);
  std::fflush(stderr);
}

void TrainRun::clearProgress() {
  if (tty)
    std::fprintf(stderr, "\r\033[K");
}

void TrainRun::record(const std::string &text, JsonLine json) {
  clearProgress();
  json.add("lr", lr())
      .add(unit + "_per_s", recordThroughput)
      .add("seconds", secondsSince(start));
  if (!lead) {
  } else if (options.json)
    std::cout << json.str() << std::endl;
  else if (!options.quiet)
    std::cout << text << std::endl;
  if (log)
    log << json.str() << std::endl;
  samplesSinceRecord = 0;
  sinceRecord = Clock::now();
}

void TrainRun::done(const std::string &text, JsonLine json) {
  clearProgress();
  json.add("seconds", secondsSince(start));
  if (!lead)
    return;
  if (options.json)
    std::cout << json.str() << std::endl;
  else
    std::cout << text << std::endl;
}
