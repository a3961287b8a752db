//===- Plot.cpp - trainer plot: loss curves as SVG ------------------------===//
//
//   ./trainer plot metrics.jsonl [more.jsonl ...] -o curve.svg
//
// Reads the JSON lines `train --log` writes and draws each file's training
// loss (solid) and validation loss (dashed, another colour) against the
// optimizer step, in an SVG a browser shows. A log that a resumed run appended
// to holds some steps twice; the later record of a step wins. See
// docs/Trainer.md.
//
//===----------------------------------------------------------------------===//

#include "TrainerCommon.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

using namespace nngc::rt;

namespace {

struct Series {
  std::string label, colour;
  bool dashed = false;
  std::vector<std::pair<double, double>> points; ///< (step, loss)
};

/// A round tick spacing (1, 2 or 5 times a power of ten) giving about
/// `count` ticks over `range`.
double tickStep(double range, int count) {
  double raw = range / count;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * p)
      return m * p;
  return 10 * p;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '<'   ? "&lt;"
           : c == '>' ? "&gt;"
           : c == '&' ? "&amp;"
                      : std::string(1, c);
  return out;
}

/// Reads one log: by step, the last train and validation loss recorded.
void readLog(const std::string &path, Series &train, Series &val) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path + ": cannot open");
  std::map<double, double> t, v;
  std::string line;
  int64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const std::exception &e) {
      throw std::runtime_error(path + ":" + std::to_string(lineNo) +
                               ": not a JSON line: " + e.what());
    }
    if (j.kind != Json::Object || !j.has("step"))
      continue;
    double step = j.at("step").asNumber();
    auto take = [&](const char *key, std::map<double, double> &into) {
      if (j.has(key) && j.at(key).kind == Json::Number &&
          std::isfinite(j.at(key).asNumber()))
        into[step] = j.at(key).asNumber();
    };
    take("train_loss", t);
    take("val_loss", v);
  }
  train.points.assign(t.begin(), t.end());
  val.points.assign(v.begin(), v.end());
}

} // namespace

int nngc::rt::cmdPlot(int argc, char **argv) {
  std::vector<std::string> logs;
  std::string output, title = "loss";
  bool logY = false;
  int64_t width = 800, height = 480;
  po::options_description desc("plot options");
  desc.add_options()("help,h", "show this help")(
      "log", po::value(&logs)->required(),
      "JSON lines written by train --log (repeat, or give them as arguments)")(
      "output,o", po::value(&output)->required(), "the SVG file to write")(
      "title", po::value(&title)->default_value("loss"), "the plot's title")(
      "log-y", po::bool_switch(&logY), "logarithmic loss axis")(
      "width", po::value(&width)->default_value(800),
      "pixels")("height", po::value(&height)->default_value(480), "pixels");
  po::positional_options_description positional;
  positional.add("log", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv)
                .options(desc)
                .positional(positional)
                .run(),
            vm);
  if (vm.count("help")) {
    std::cout << "usage: trainer plot LOG.jsonl [LOG2.jsonl ...] -o curve.svg\n"
              << desc;
    return 0;
  }
  po::notify(vm);
  if (width < 200 || height < 150)
    throw std::runtime_error("--width must be at least 200, --height 150");

  // Per log: training and validation colours.
  static const char *colours[][2] = {
      {"#1f77b4", "#ff7f0e"}, {"#2ca02c", "#d62728"}, {"#9467bd", "#8c564b"}};
  std::vector<Series> series;
  for (size_t i = 0; i < logs.size(); ++i) {
    std::string name = logs[i].substr(logs[i].rfind('/') + 1);
    std::string prefix = logs.size() > 1 ? name + ": " : "";
    Series train{prefix + "train", colours[i % 3][0], false, {}};
    Series val{prefix + "validation", colours[i % 3][1], true, {}};
    readLog(logs[i], train, val);
    if (train.points.empty() && val.points.empty())
      throw std::runtime_error(logs[i] + ": no record with a step and a "
                                         "train_loss or val_loss");
    for (Series *s : {&train, &val})
      if (!s->points.empty())
        series.push_back(std::move(*s));
  }

  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  auto yOf = [&](double loss) {
    return logY ? std::log10(std::max(loss, 1e-12)) : loss;
  };
  for (const Series &s : series)
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x);
      y0 = std::min(y0, yOf(y)), y1 = std::max(y1, yOf(y));
    }
  double firstStep = x0, lastStep = x1;
  if (x1 == x0)
    x0 -= 1, x1 += 1;
  if (y1 == y0)
    y0 -= 0.5, y1 += 0.5;
  double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;
  if (!logY && y0 < 0 && y0 + pad >= 0)
    y0 = 0;

  const double left = 70, right = 20, top = 40, bottom = 50;
  double pw = width - left - right, ph = height - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * ph; };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
      << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" "
      << "font-size=\"15\">" << escape(title) << "</text>\n";
  // Grid and ticks.
  double xs = tickStep(x1 - x0, 8), ys = tickStep(y1 - y0, 6);
  for (double x = std::ceil(x0 / xs) * xs; x <= x1 + 1e-9 * xs; x += xs)
    svg << "<line x1=\"" << px(x) << "\" y1=\"" << top << "\" x2=\"" << px(x)
        << "\" y2=\"" << top + ph << "\" stroke=\"#e5e5e5\"/>\n"
        << "<text x=\"" << px(x) << "\" y=\"" << top + ph + 16
        << "\" text-anchor=\"middle\">" << number(x) << "</text>\n";
  for (double y = std::ceil(y0 / ys) * ys; y <= y1 + 1e-9 * ys; y += ys)
    svg << "<line x1=\"" << left << "\" y1=\"" << py(y) << "\" x2=\""
        << left + pw << "\" y2=\"" << py(y) << "\" stroke=\"#e5e5e5\"/>\n"
        << "<text x=\"" << left - 6 << "\" y=\"" << py(y) + 4
        << "\" text-anchor=\"end\">"
        << number(logY ? std::pow(10.0, y) : (std::fabs(y) < 1e-12 ? 0 : y))
        << "</text>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw
      << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#333\"/>\n"
      << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 12
      << "\" text-anchor=\"middle\">step</text>\n"
      << "<text x=\"16\" y=\"" << top + ph / 2
      << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " << top + ph / 2
      << ")\">" << (logY ? "loss (log scale)" : "loss") << "</text>\n";
  // Curves; a single point is a dot.
  for (const Series &s : series) {
    svg << "<polyline fill=\"none\" stroke=\"" << s.colour
        << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
    for (auto [x, y] : s.points)
      svg << px(x) << "," << py(yOf(y)) << " ";
    svg << "\"/>\n";
    if (s.points.size() == 1)
      svg << "<circle cx=\"" << px(s.points[0].first) << "\" cy=\""
          << py(yOf(s.points[0].second)) << "\" r=\"3\" fill=\"" << s.colour
          << "\"/>\n";
  }
  // Legend, top right inside the plot.
  double ly = top + 14;
  for (const Series &s : series) {
    double lx = left + pw - 190;
    svg << "<line x1=\"" << lx << "\" y1=\"" << ly - 4 << "\" x2=\"" << lx + 28
        << "\" y2=\"" << ly - 4 << "\" stroke=\"" << s.colour
        << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n"
        << "<text x=\"" << lx + 34 << "\" y=\"" << ly << "\">"
        << escape(s.label) << "</text>\n";
    ly += 16;
  }
  svg << "</svg>\n";

  std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp);
    if (!(out << svg.str()))
      throw std::runtime_error(output + ": cannot write");
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0)
    throw std::runtime_error(output + ": cannot write");
  size_t points = 0;
  for (const Series &s : series)
    points += s.points.size();
  std::cout << output << ": " << series.size() << " curves, " << points
            << " points, steps " << number(firstStep) << " to "
            << number(lastStep) << "\n";
  return 0;
}
