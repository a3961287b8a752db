//===- Bleu.cpp - Corpus BLEU ---------------------------------------------===//

#include "nngc/Runtime/Bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>

using namespace nngc::rt;

using NgramCounts = std::map<std::vector<std::string>, int64_t>;

static NgramCounts ngrams(const Tokens &t, int n) {
  NgramCounts c;
  for (size_t i = 0; i + n <= t.size(); ++i)
    ++c[std::vector<std::string>(t.begin() + i, t.begin() + i + n)];
  return c;
}

void BleuStats::add(const Tokens &candidate,
                    const std::vector<Tokens> &references) {
  if (references.empty())
    throw std::invalid_argument("BLEU needs at least one reference");
  auto c = static_cast<int64_t>(candidate.size());
  candidateLength += c;
  // The reference length closest to the candidate's; the shorter on a tie.
  int64_t best = -1;
  for (const Tokens &r : references) {
    auto len = static_cast<int64_t>(r.size());
    if (best < 0 || std::llabs(len - c) < std::llabs(best - c) ||
        (std::llabs(len - c) == std::llabs(best - c) && len < best))
      best = len;
  }
  referenceLength += best;
  for (int n = 1; n <= kOrder; ++n) {
    NgramCounts cand = ngrams(candidate, n), maxRef;
    for (const Tokens &r : references)
      for (const auto &[g, k] : ngrams(r, n))
        maxRef[g] = std::max(maxRef[g], k);
    for (const auto &[g, k] : cand) {
      auto it = maxRef.find(g);
      matches[n - 1] += std::min(k, it == maxRef.end() ? 0 : it->second);
      totals[n - 1] += k;
    }
  }
}

double BleuStats::precision(int n) const {
  return totals[n - 1] ? double(matches[n - 1]) / double(totals[n - 1]) : 0;
}

double BleuStats::brevityPenalty() const {
  if (candidateLength == 0)
    return 0;
  if (candidateLength > referenceLength)
    return 1;
  return std::exp(1.0 - double(referenceLength) / double(candidateLength));
}

double BleuStats::score() const {
  double logSum = 0;
  for (int n = 1; n <= kOrder; ++n) {
    double p = precision(n);
    if (p <= 0)
      return 0;
    logSum += std::log(p);
  }
  return brevityPenalty() * std::exp(logSum / kOrder);
}
