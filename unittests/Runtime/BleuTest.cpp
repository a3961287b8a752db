//===- BleuTest.cpp - Corpus BLEU against hand-computed cases -------------===//

#include "nngc/Runtime/Bleu.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace nngc::rt;

static Tokens words(const std::string &s) {
  std::istringstream in(s);
  Tokens t;
  for (std::string w; in >> w;)
    t.push_back(w);
  return t;
}

TEST(Bleu, IdenticalIsOne) {
  BleuStats b;
  b.add(words("the cat is on the mat"), {words("the cat is on the mat")});
  EXPECT_DOUBLE_EQ(b.score(), 1.0);
  EXPECT_DOUBLE_EQ(b.brevityPenalty(), 1.0);
}

// Papineni et al.'s example of clipping: "the the the the the the the"
// against "the cat is on the mat" and "there is a cat on the mat" has a
// modified unigram precision of 2/7 ("the" at most twice, in reference 1).
TEST(Bleu, ClipsCountsToTheReference) {
  BleuStats b;
  b.add(words("the the the the the the the"),
        {words("the cat is on the mat"), words("there is a cat on the mat")});
  EXPECT_EQ(b.matches[0], 2);
  EXPECT_EQ(b.totals[0], 7);
  EXPECT_DOUBLE_EQ(b.precision(1), 2.0 / 7.0);
  EXPECT_DOUBLE_EQ(b.precision(2), 0.0); // "the the" is in no reference
  EXPECT_DOUBLE_EQ(b.score(), 0.0);
}

// By hand: candidate "a b c d e" (5 tokens), reference "a b c d f g"
// (6): unigrams 4/5, bigrams 3/4, trigrams 2/3, 4-grams 1/2; c = 5 < r = 6
// so BP = exp(1 - 6/5); BLEU = BP * (4/5 * 3/4 * 2/3 * 1/2)^(1/4).
TEST(Bleu, HandComputedWithBrevityPenalty) {
  BleuStats b;
  b.add(words("a b c d e"), {words("a b c d f g")});
  double expected = std::exp(1.0 - 6.0 / 5.0) *
                    std::pow(4.0 / 5 * 3.0 / 4 * 2.0 / 3 * 1.0 / 2, 0.25);
  EXPECT_NEAR(b.score(), expected, 1e-15);
  EXPECT_EQ(b.referenceLength, 6);
}

// Corpus level: counts add over sentences before dividing. Sentence 1 as
// above; sentence 2 "x y z w" identical to its reference. Unigrams
// (4 + 4) / (5 + 4), bigrams (3 + 3) / (4 + 3), trigrams (2 + 2) / (3 + 2),
// 4-grams (1 + 1) / (2 + 1); c = 9, r = 10.
TEST(Bleu, CorpusSumsCountsBeforeDividing) {
  BleuStats b;
  b.add(words("a b c d e"), {words("a b c d f g")});
  b.add(words("x y z w"), {words("x y z w")});
  double expected = std::exp(1.0 - 10.0 / 9.0) *
                    std::pow(8.0 / 9 * 6.0 / 7 * 4.0 / 5 * 2.0 / 3, 0.25);
  EXPECT_NEAR(b.score(), expected, 1e-15);
}

// The closest reference length counts for the brevity penalty; on a tie
// the shorter one: candidate of 4 with references of 3 and 5 gives r = 3.
TEST(Bleu, ClosestReferenceLengthShorterOnTie) {
  BleuStats b;
  b.add(words("a b c d"), {words("a b c"), words("a b c d e")});
  EXPECT_EQ(b.referenceLength, 3);
  EXPECT_DOUBLE_EQ(b.brevityPenalty(), 1.0);
  // 4-grams: "a b c d" appears in the second reference.
  EXPECT_DOUBLE_EQ(b.precision(4), 1.0);
  EXPECT_DOUBLE_EQ(b.score(), 1.0);
}

TEST(Bleu, EmptyCandidateScoresZero) {
  BleuStats b;
  b.add({}, {words("a b")});
  EXPECT_DOUBLE_EQ(b.score(), 0.0);
  EXPECT_THROW(b.add(words("a"), {}), std::invalid_argument);
}
