//===- TrainerCommon.h - helpers the trainer's commands share -*- C++ -*-===//
//
// Internal to lib/Runtime: option parsing, threads, checkpoints and Ctrl-C
// handling, used by Trainer.cpp (table data), TextTrainer.cpp (language
// models), SentenceTrainer.cpp (sentence classifiers), SeriesTrainer.cpp
// (forecasters) and TranslationTrainer.cpp (translation models).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_TRAINERCOMMON_H
#define NNGC_LIB_RUNTIME_TRAINERCOMMON_H

#include "nngc/Runtime/Model.h"
#include "nngc/Runtime/Text.h"

#include <boost/program_options.hpp>

#include <chrono>
#include <csignal>
#include <fstream>

namespace po = boost::program_options;

namespace nngc::rt {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t);

/// Parses a command's options; false when it printed --help instead.
bool parseOptions(int argc, char **argv, const po::options_description &desc,
                  po::variables_map &vm, const char *usage);
/// Declares --threads N for a command's help and validation. main applies
/// it (applyThreadsEarly) before the Model creates its oneDNN primitives.
void addThreadsOption(po::options_description &desc);
/// Fails unless the model has a training entry point (an nn.minimize).
void requireTrainable(const Manifest &m);
/// The options every `train` command shares: the learning rate, its
/// schedule and gradient clipping, each defaulting to the model's.
struct OptimizerOptions {
  double lr = 0, minLr = 0, gamma = 0.1, clip = 0, dropout = -1;
  int64_t warmup = 0, decaySteps = 0, stepSize = 0;
  std::string schedule;
};
void addOptimizerOptions(po::options_description &desc, OptimizerOptions &o);
/// Validates them and applies them to the model's schedule and context.
void applyOptimizerOptions(Model &model, const po::variables_map &vm,
                           const OptimizerOptions &o);
/// --dropout (when given): every nn.dropout and attention dropout's p.
void applyDropoutOption(Model &model, const po::variables_map &vm, double p);
/// Reads a checkpoint and loads its parameters (and optimizer state, with
/// `optimizer`) into the model; errors name the file.
SafetensorsFile loadCheckpoint(Model &model, const std::string &path,
                               bool optimizer);

/// The vocabulary a language model's or classifier's checkpoint carries
/// (metadata nngc.vocab_kind and nngc.vocab); errors name `path`.
Vocabulary checkpointVocabulary(const SafetensorsFile &f,
                                const std::string &path);
/// Writes `v` into a checkpoint's metadata.
void storeVocabulary(SafetensorsFile &f, const Vocabulary &v);

/// `plot`: loss curves of --log files as SVG (Plot.cpp); needs no model.
int cmdPlot(int argc, char **argv);

/// `train` and `sample` for language models (TextTrainer.cpp).
bool isLanguageModel(const Manifest &m);
int cmdTrainText(Model &model, int argc, char **argv);
int cmdSample(Model &model, int argc, char **argv);

/// `train`, `eval` and `predict` for sentence classifiers
/// (SentenceTrainer.cpp).
bool isSentenceClassifier(const Manifest &m);
int cmdTrainSentences(Model &model, int argc, char **argv);
int cmdEvalSentences(Model &model, int argc, char **argv, bool predict);

/// `train`, `eval` and `predict` for forecasters: a "window" input of past
/// values and an nn.mse target of the values after it (SeriesTrainer.cpp).
bool isForecaster(const Manifest &m);
int cmdTrainSeries(Model &model, int argc, char **argv);
int cmdEvalSeries(Model &model, int argc, char **argv, bool predict);

/// `train`, `eval` and `translate` for translation models: inputs "src",
/// ["src_mask"], "tgt_in" and the labels "tgt_out" (TranslationTrainer.cpp).
bool isTranslator(const Manifest &m);
int cmdTrainPairs(Model &model, int argc, char **argv);
int cmdEvalPairs(Model &model, int argc, char **argv, bool translate);

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_TRAINERCOMMON_H
