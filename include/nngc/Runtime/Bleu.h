//===- Bleu.h - Corpus BLEU -----------------------------------*- C++ -*-===//
//
// Corpus-level BLEU (Papineni et al., 2002, as multi-bleu.perl and
// sacrebleu with `smooth_method='none'` compute it) over token sequences:
//
//   BLEU = BP * exp(sum_{n=1..N} log(p_n) / N)
//   p_n  = sum over sentences of the candidate's n-grams, each counted at
//          most as often as in the reference that has it most
//          ("clipped"), over the candidate's n-gram count
//   BP   = 1 if c > r, else exp(1 - r / c); c the candidates' total length,
//          r the sum over sentences of the reference length closest to
//          the candidate's (the shorter one on a tie)
//
// with N = 4. A p_n of 0 makes BLEU 0 (no smoothing). See docs/Trainer.md
// ("Translation").
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_RUNTIME_BLEU_H
#define NNGC_RUNTIME_BLEU_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nngc::rt {

using Tokens = std::vector<std::string>;

struct BleuStats {
  static constexpr int kOrder = 4;
  std::array<int64_t, kOrder> matches{}, totals{};
  int64_t candidateLength = 0, referenceLength = 0;

  /// Adds one sentence: its candidate and its references (at least one).
  void add(const Tokens &candidate, const std::vector<Tokens> &references);
  /// p_n for n = 1..4 (index n - 1); 0 where the candidates have no n-gram.
  double precision(int n) const;
  double brevityPenalty() const;
  /// BLEU in [0, 1].
  double score() const;
};

} // namespace nngc::rt

#endif // NNGC_RUNTIME_BLEU_H
