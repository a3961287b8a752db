//===- TrainRun.h - What every train command shares -----------*- C++ -*-===//
//
// Internal to lib/Runtime. A TrainRun is one invocation of `train`: it
// owns what the three trainers (tables, text, sentences) have in common:
//
//   - resuming: reading --resume, restoring parameters, optimizer state,
//     the schedule, the seed and the run's position (RunPosition), so that
//     a stopped and resumed run logs the same losses as one that did not
//     stop;
//   - checkpoints: --save, --save-every, --keep-last, written atomically
//     and only with finite parameters;
//   - stopping: SIGINT/SIGTERM finish the step, save, exit 130/143 (taken
//     by a signal thread, never by an async handler on a compute thread);
//   - the numerics guard: a non-finite loss stops the run (exit 3), naming
//     the step and the last good checkpoint; --check-numerics names the
//     first op that produced a NaN or Inf;
//   - output: the live progress line on a terminal, the periodic records
//     (text, or JSON with --json), --quiet, and the --log JSON lines;
//   - data parallelism (a --distributed=mpi trainer under mpirun): each
//     rank takes its shard of every global batch (runEpochs; the text
//     trainer shards its windows itself), losses and stop requests are
//     summed across the ranks after every step, rank 0 alone prints,
//     logs and writes checkpoints, and every rank starts from rank 0's
//     parameters.
//
// See docs/Trainer.md ("Checkpoints and resuming", "Output").
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_TRAINRUN_H
#define NNGC_LIB_RUNTIME_TRAINRUN_H

#include "TrainerCommon.h"
#include "nngc/Runtime/Collectives.h"

#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nngc::rt {

/// The exit status of a run stopped by a NumericsError.
constexpr int kNumericsExitStatus = 3;

/// The options every `train` command takes besides the optimizer's.
struct RunOptions {
  std::string save, resume, log;
  int64_t saveEvery = 0, keepLast = 1;
  uint64_t seed = 0;
  bool quiet = false, json = false, checkNumerics = false;
};
void addRunOptions(po::options_description &desc, RunOptions &o);

/// Where a run is, beyond parameters, optimizer state and the step count:
/// what a checkpoint must hold for training to continue exactly.
struct RunPosition {
  uint64_t seed = 0;
  /// Epoch trainers: the epoch under way (from 1) and its batches done.
  int64_t epoch = 1, batch = 0;
  /// The loss summed since the last record, and the weight it sums (rows
  /// or steps).
  double lossSum = 0, lossWeight = 0;
  /// The text trainer's window generator (std::mt19937_64's text form).
  std::string dataRng;
};

/// One JSON object, written as one line; numbers print exactly (%.17g).
class JsonLine {
public:
  JsonLine &add(const std::string &key, double v);
  JsonLine &add(const std::string &key, int64_t v);
  JsonLine &add(const std::string &key, const std::string &v);
  std::string str() const { return body + "}"; }

private:
  std::string body = "{";
};

class TrainRun {
public:
  /// Reads --resume (if given) and restores the model from it: parameters,
  /// optimizer state, step, schedule, clipping, dropout override and seed
  /// (each unless its option is given again). Installs the SIGINT/SIGTERM
  /// handlers and opens --log. `unit` names what throughput counts
  /// ("rows", "tokens", "sentences").
  TrainRun(Model &model, const RunOptions &o, const po::variables_map &vm,
           std::string unit);
  ~TrainRun();

  Model &model;
  const RunOptions &options;
  RunPosition pos;
  /// The data-parallel job when it has more than one rank (else null),
  /// and whether this process speaks for the run (rank 0, or the only
  /// process): it alone prints, logs and saves.
  Collectives *job = nullptr;
  bool lead = true;
  int ranks() const { return job ? job->size() : 1; }
  int rank() const { return job ? job->rank() : 0; }
  /// Rows of a global batch: `batch` (the compiled one) on every rank.
  int64_t globalBatch(int64_t batch) const { return batch * ranks(); }
  /// Sums `n` values across the ranks (a no-op in one process).
  void sumAcrossRanks(double *values, int n, const char *what);
  /// The resumed checkpoint (vocabulary, feature scaling), if any.
  std::optional<SafetensorsFile> resumed;

  /// An epoch trainer's first line after --resume: "resumed from C (epoch
  /// E[ at batch K], step S)\n".
  std::string resumedLine() const;
  /// The fingerprint of the training data, checked against the resumed
  /// checkpoint's (a note on stderr when it differs).
  void setDataHash(uint64_t hash);
  /// The total number of optimizer steps the run will have taken at its
  /// end (for the progress line's ETA).
  void setTotalSteps(int64_t steps) { totalSteps = steps; }

  /// After each training step: checks the loss (NumericsError), adds it to
  /// the running mean with `weight`, counts `samples` for the throughput
  /// and refreshes the progress line.
  void stepDone(float loss, double weight, int64_t samples,
                const std::string &where, int64_t step = -1);
  /// stepDone with the model's loss. A CUDA trainer reads it back only
  /// every Model::kLossesInFlight steps (or sooner: before a checkpoint,
  /// a record, the epoch's end), so that a step does not wait for the
  /// GPU; the checks then run for each step in order, naming its step.
  void stepDoneLater(double weight, int64_t samples, const std::string &where);
  /// Runs stepDone for the losses stepDoneLater has not read yet.
  void flushLosses();
  /// model.train(), a numerics failure (--check-numerics) completed with
  /// `where` and the last good checkpoint.
  void train(const std::string &where);
  /// An epoch trainer's steps of epoch pos.epoch from batch pos.batch:
  /// `fill(b)` fills batch b and returns its rows (this rank's: 0 gives
  /// the step no weight). A --save-every or signal
  /// checkpoint inside the epoch calls `save`; returns the exit status
  /// when a signal stopped the run (0: the epoch's batches are done).
  int epochSteps(int64_t steps, const std::function<int64_t(int64_t)> &fill,
                 const std::function<void()> &save);
  /// An epoch trainer's loop: epochs pos.epoch..total, each shuffling
  /// `order` (seeded with the run's seed and the epoch; with `cumulative`
  /// each epoch shuffles the previous one's order, replayed on resume,
  /// otherwise a fresh copy of `order`), taking `steps` batches
  /// (`fill(order, b)` fills batch b), then `endEpoch(epoch)` (the record)
  /// and a checkpoint. Returns the exit status: 0 when done, 130/143 when
  /// a signal stopped it. In a job, `steps` counts global batches
  /// (globalBatch rows each) and `fill` gets this rank's shard of the
  /// shuffled order, laid out as one process's order would be: its batch b
  /// is the rank's rows of global batch b. A rank with no rows in a final
  /// partial batch computes one row at gradient scale 0.
  /// `rowWeight(row)` (or 1 when null) is what a row adds to its batch's
  /// loss denominator (a translation pair's target tokens): in a job each
  /// rank scales its gradients, and weighs its loss, by its share of the
  /// global batch's weight.
  int runEpochs(
      int64_t total, int64_t steps, std::vector<int64_t> order, bool cumulative,
      const std::function<int64_t(const std::vector<int64_t> &, int64_t)> &fill,
      const std::function<void(int64_t)> &endEpoch,
      const std::function<void()> &save,
      const std::function<double(int64_t)> &rowWeight = nullptr);
  /// The running mean since the last call, which restarts it; it also
  /// fixes the throughput the next record reports (before evaluation).
  double takeMeanLoss();
  /// The samples per second since the last record (after flushLosses).
  double throughput();
  Clock::time_point startTime() const { return start; }

  /// A SIGINT or SIGTERM arrived: 130 or 143, else 0 (in a job: on any
  /// rank, as of the last step's sums, so that every rank stops after the
  /// same step).
  int stopStatus() const;
  /// --save-every says the step just taken ends with a checkpoint.
  bool saveDue() const;
  /// Writes `f` (the model's checkpoint with the trainer's metadata) to
  /// --save with the run's position and options; refuses non-finite
  /// parameters (NumericsError); keeps the --keep-last newest. No-op
  /// without --save.
  void save(SafetensorsFile f);
  /// The message a stopped run ends with; returns the exit status.
  int stop(const std::string &where);

  /// A line of information (suppressed by --quiet and --json).
  void info(const std::string &text);
  /// A periodic record: `text` on stdout (unless --quiet; JSON instead with
  /// --json), `json` (lr and throughput added) appended to --log.
  void record(const std::string &text, JsonLine json);
  /// The last line of a run.
  void done(const std::string &text, JsonLine json);
  /// Clears the progress line.
  void clearProgress();
  /// The last validation loss shown on the progress line (NaN: none).
  double lastValLoss;

private:
  struct PendingLoss {
    const float *loss;
    double weight;
    int64_t samples, step;
    std::string where;
  };
  std::vector<PendingLoss> pendingLosses;
  std::string unit;
  std::ofstream log;
  bool tty = false;
  int64_t totalSteps = 0, firstStep = 0;
  /// The last checkpoint written (or resumed from) and its step.
  int64_t savedStep = -1;
  std::string savedPath;
  int64_t samplesSinceRecord = 0;
  Clock::time_point start, sinceRecord, lastProgress;
  uint64_t dataHash = 0;
  double recordThroughput = 0;
  /// In a job: the stop status the ranks agreed on at the last step, and
  /// whether rank 0's parameters have been broadcast.
  int agreedStop = 0;
  bool synced = false;
  /// In a job: the weight of this rank's part of the step's loss (its
  /// share of the loss denominator), when it is not the rows.
  double shardLossWeight = -1;
  double lr() const;
  std::string lastGood() const;
  void progress(const std::string &where);
  void rotate();
};

/// Takes SIGINT and SIGTERM from here on in a thread of their own: during
/// a TrainRun the first one asks it to stop after its step (stopStatus),
/// otherwise they end the process with 128 + the signal. main() calls it
/// first, before any other thread exists.
void startSignalThread();

/// Whether every parameter is finite; otherwise the first that is not.
std::string firstNonFiniteParam(Model &model);

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_TRAINRUN_H
