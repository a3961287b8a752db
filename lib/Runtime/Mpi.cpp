//===- Mpi.cpp - Collectives over MPI (libnngc_mpi.a) ---------------------===//
//
// The data-parallel job of a trainer compiled with --distributed=mpi. Only
// such trainers link this file (and libmpi); see Collectives.h.
//
// MPI's non-blocking collectives progress only while some thread is inside
// an MPI call. A progress thread therefore tests the outstanding bucket
// all-reduces every few tens of microseconds while any is in flight, and
// sleeps on a condition variable otherwise; all MPI calls are serialised
// by one mutex (MPI_THREAD_SERIALIZED). Every wait polls with a deadline,
// so a rank that died or hangs ends the job with a message instead of a
// hang.
//
//===----------------------------------------------------------------------===//

#include "nngc/Runtime/Collectives.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace nngc::rt {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class MpiCollectives final : public Collectives {
public:
  MpiCollectives(int *argc, char ***argv) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      std::fprintf(stderr,
                   "nngc: this MPI offers thread level %d, below "
                   "MPI_THREAD_SERIALIZED\n",
                   provided);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    if (const char *t = std::getenv("NNGC_COLLECTIVE_TIMEOUT"))
      timeoutSeconds = std::atof(t);
    if (const char *t = std::getenv("NNGC_PROGRESS_US"))
      progressMicros = std::max(1, std::atoi(t));
    progress = std::thread([this] { progressLoop(); });
  }

  ~MpiCollectives() override { finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void startSum(int bucket, float *data, int64_t n) override {
    Clock::time_point t0 = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mpi);
      // (The progress thread walks the buckets under the lock.)
      if (static_cast<size_t>(bucket) >= buckets.size())
        buckets.resize(bucket + 1);
      Bucket &b = buckets[bucket];
      if (b.active)
        fail("bucket " + std::to_string(bucket) + " started twice");
      if (n > INT_MAX) // MPI counts are ints
        fail("bucket " + std::to_string(bucket) + " has " + std::to_string(n) +
             " gradients, more than one MPI all-reduce takes (2^31 - 1): "
             "compile with a smaller --bucket-size, unless one parameter "
             "alone is that large");
      MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT,
                     MPI_SUM, comm, &b.request);
      b.start = t0;
      b.active = true;
      b.done = false;
      ++inFlight;
    }
    stats.buckets += 1;
    stats.bytes += 4 * n;
    wake.notify_one();
    if (!overlap) // completed here; the step's wait then returns at once
      complete(buckets[bucket], bucket);
  }

  void wait(int bucket) override {
    if (static_cast<size_t>(bucket) >= buckets.size() ||
        !buckets[bucket].active) {
      std::lock_guard<std::mutex> lock(mpi);
      fail("bucket " + std::to_string(bucket) + " waited for but not started");
    }
    Bucket &b = buckets[bucket];
    if (!b.completed)
      complete(b, bucket);
    std::lock_guard<std::mutex> lock(mpi);
    b.active = b.completed = false;
  }

  void sum(double *data, int n, const char *what) override {
    MPI_Request r;
    {
      std::lock_guard<std::mutex> lock(mpi);
      MPI_Iallreduce(MPI_IN_PLACE, data, n, MPI_DOUBLE, MPI_SUM, comm, &r);
    }
    waitRequest(r, what);
  }

  void broadcast(void *data, int64_t bytes, const char *what) override {
    auto *p = static_cast<char *>(data);
    // MPI counts are ints: large buffers go in pieces of at most 1 GiB.
    for (int64_t done = 0; done < bytes;) {
      int piece = static_cast<int>(std::min<int64_t>(bytes - done, 1 << 30));
      MPI_Request r;
      {
        std::lock_guard<std::mutex> lock(mpi);
        MPI_Ibcast(p + done, piece, MPI_BYTE, 0, comm, &r);
      }
      waitRequest(r, what);
      done += piece;
    }
  }

  [[noreturn]] void abort(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    if (!finalized) {
      // Never unlocked: the progress thread must not call MPI any more.
      mpi.lock();
      MPI_Abort(MPI_COMM_WORLD, status);
    }
    std::_Exit(status);
  }

  void finalize() override {
    if (finalized)
      return;
    finalized = true;
    {
      std::lock_guard<std::mutex> lock(mpi);
      stopping = true;
    }
    wake.notify_one();
    if (progress.joinable())
      progress.join();
    MPI_Comm_free(&comm);
    MPI_Finalize();
  }

private:
  struct Bucket {
    MPI_Request request = MPI_REQUEST_NULL;
    Clock::time_point start, finished;
    /// Started and not yet waited for; its request has completed (seen
    /// by a test); waited for already (in startSum, without overlap).
    bool active = false, done = false, completed = false;
  };

  /// Blocks until `b` has completed, counting the time.
  void complete(Bucket &b, int bucket) {
    Clock::time_point t0 = Clock::now();
    pollUntil([&] { return testLocked(b); },
              "the all-reduce of gradient bucket " + std::to_string(bucket));
    stats.blockedSeconds += since(t0);
    std::lock_guard<std::mutex> lock(mpi);
    stats.inFlightSeconds +=
        std::chrono::duration<double>(b.finished - b.start).count();
    b.completed = true;
  }

  /// Tests `b` (under the lock); true once it has completed.
  bool testLocked(Bucket &b) {
    std::lock_guard<std::mutex> lock(mpi);
    return testBucket(b);
  }

  /// With `mpi` held.
  bool testBucket(Bucket &b) {
    if (b.done)
      return true;
    int flag = 0;
    MPI_Test(&b.request, &flag, MPI_STATUS_IGNORE);
    if (flag) {
      b.done = true;
      b.finished = Clock::now();
      --inFlight;
    }
    return flag != 0;
  }

  void waitRequest(MPI_Request &r, const char *what) {
    pollUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mpi);
          int flag = 0;
          MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
          return flag != 0;
        },
        what);
  }

  /// Polls `done` until it holds, as MPI_Wait would: each test moves the
  /// collective on, so the first 50 ms spin (yielding the core to any
  /// other runnable thread), then tests are 100 us apart; after
  /// timeoutSeconds, reports `what` and aborts the job.
  template <typename F> void pollUntil(F done, const std::string &what) {
    Clock::time_point t0 = Clock::now();
    bool patient = false;
    for (int64_t i = 0; !done(); ++i) {
      if (patient)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      else
        std::this_thread::yield();
      if (i % 256 != 0)
        continue;
      double waited = since(t0);
      patient = waited > 0.05;
      if (waited > timeoutSeconds) {
        std::fprintf(stderr,
                     "nngc: rank %d of %d: no answer from the other ranks for "
                     "%.0f s in %s at step %lld: a rank has died or hangs; "
                     "ending the job\n",
                     rank_, size_, timeoutSeconds, what.c_str(),
                     static_cast<long long>(step));
        abort(kCollectiveTimeoutStatus);
      }
    }
  }

  /// With `mpi` held.
  [[noreturn]] void fail(const std::string &why) {
    std::fprintf(stderr, "nngc: rank %d: internal error: %s\n", rank_,
                 why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }

  /// While any bucket is in flight, test them every progressMicros so
  /// that MPI moves them on while the backward pass computes.
  void progressLoop() {
    std::unique_lock<std::mutex> lock(mpi);
    while (!stopping) {
      if (inFlight == 0) {
        wake.wait(lock, [&] { return stopping || inFlight > 0; });
        continue;
      }
      for (Bucket &b : buckets)
        if (b.active)
          testBucket(b);
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(progressMicros));
      lock.lock();
    }
  }

  MPI_Comm comm = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::vector<Bucket> buckets;
  std::mutex mpi;
  std::condition_variable wake;
  int inFlight = 0;
  /// The progress thread's period (NNGC_PROGRESS_US).
  int progressMicros = 50;
  bool stopping = false, finalized = false;
  std::thread progress;
};

} // namespace

Collectives *mpiCollectives(int *argc, char ***argv) {
  static MpiCollectives *job = new MpiCollectives(argc, argv);
  return job;
}

} // namespace nngc::rt
