// rapportctl: forwards to rapport::cli::RunCli with the environment it reads.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  rapport::cli::Environment env;
  for (const auto& name : rapport::cli::EnvironmentVariables()) {
    const char* value = std::getenv(name.c_str());
    if (value != nullptr) env[name] = value;
  }
  return rapport::cli::RunCli(args, std::cout, std::cerr, env);
}
