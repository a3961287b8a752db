//===- Collectives.h - The data-parallel job a trainer is in --*- C++ -*-===//
//
// A trainer compiled with `nngc compile --distributed=mpi` runs as one rank
// of an MPI job (`mpirun -np N ./trainer train ...`). Its generated step
// starts the all-reduce of each gradient bucket as soon as the bucket is
// final and waits for it before the optimizer reads it
// (nngc_rt_all_reduce_start / _wait, see ABI.h); the trainer shards each
// global batch across the ranks, sums losses and agrees on stopping
// through the calls below. The MPI implementation lives in libnngc_mpi.a,
// which nngc links into distributed trainers only: other trainers carry no
// MPI dependency, and `mpiCollectives` is null (a weak symbol) in them.
//
// Every call that waits for other ranks gives up after `timeoutSeconds`:
// the rank reports which collective timed out and aborts the job, so a
// rank that died or hangs never leaves the others waiting for ever.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_COLLECTIVES_H
#define NNGC_RUNTIME_COLLECTIVES_H

#include <cstdint>

namespace nngc::rt {

class Collectives {
public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// Starts summing `n` floats at `data` across the ranks, in place;
  /// `bucket` names the request for wait().
  virtual void startSum(int bucket, float *data, int64_t n) = 0;
  /// Blocks until bucket `bucket`'s sum has arrived.
  virtual void wait(int bucket) = 0;
  /// Sums `n` doubles across the ranks, in place (blocking).
  virtual void sum(double *data, int n, const char *what) = 0;
  /// Rank 0's `bytes` at `data` on every rank (blocking).
  virtual void broadcast(void *data, int64_t bytes, const char *what) = 0;
  /// Ends the whole job with `status` (MPI_Abort): for an error on one
  /// rank, which the others would otherwise wait for.
  [[noreturn]] virtual void abort(int status) = 0;
  /// Leaves the job normally (MPI_Finalize).
  virtual void finalize() = 0;

  /// How long a collective may wait before the job is aborted.
  double timeoutSeconds = 600;
  /// With false, startSum waits at once (no overlap with the backward
  /// pass): `bench --no-overlap`, to measure what overlap hides.
  bool overlap = true;
  /// The step under way, for timeout messages.
  int64_t step = 0;

  /// Time spent on gradient all-reduces since the last reset.
  struct Stats {
    int64_t buckets = 0, bytes = 0;
    /// Wall time from each start to the moment its completion was seen,
    /// summed over buckets.
    double inFlightSeconds = 0;
    /// Time the calling thread spent blocked in wait() (and in startSum
    /// without overlap): the communication the step did not hide.
    double blockedSeconds = 0;
  } stats;
};

/// Joins the MPI job (MPI_Init_thread) on first call; defined only in
/// libnngc_mpi.a.
Collectives *mpiCollectives(int *argc, char ***argv) __attribute__((weak));

/// Exit status of a rank that gave up waiting for the others.
constexpr int kCollectiveTimeoutStatus = 4;

} // namespace nngc::rt

#endif // NNGC_RUNTIME_COLLECTIVES_H
