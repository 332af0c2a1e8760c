//===- args.h - command-line options of a model binary ----------*- C++ -*-===//
#ifndef KILN_RUNTIME_ARGS_H
#define KILN_RUNTIME_ARGS_H

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace kiln::rt {

/// A command's parsed options: --key value (or --key=value) and --flag.
struct Args {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  bool has(const std::string &k) const { return values.count(k); }
};

/// Parses argv[2...] (argv[1] is the command): only the names in `valued`
/// (taking a value) and `flagNames` are accepted; anything else is an
/// Error naming it.
Args parseArgs(int argc, char **argv, std::set<std::string> valued,
               const std::set<std::string> &flagNames);

/// --key as an integer >= min (`fallback` when absent); an Error otherwise.
int64_t toInt(const Args &a, const std::string &key, int64_t fallback,
              int64_t min);
/// --key as a finite number, if given; an Error when not a number.
std::optional<double> toDouble(const Args &a, const std::string &key);

/// The data options every command that reads data takes, with `extra`.
std::set<std::string> withData(std::set<std::string> extra);
/// Their help text (the "data options" of each command's --help).
extern const char *const kDataHelp;

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARGS_H
