// rapportctl: forwards to rapport::cli::RunCli with the environment it reads.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "grpc/support/log.h"

int main(int argc, char** argv) {
  // gRPC's own log lines (such as "Handshake failed") would repeat on stderr
  // what rapportctl reports in one line; GRPC_VERBOSITY keeps them, to debug.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
  std::vector<std::string> args(argv + 1, argv + argc);
  rapport::cli::Environment env;
  for (const auto& name : rapport::cli::EnvironmentVariables()) {
    const char* value = std::getenv(name.c_str());
    if (value != nullptr) env[name] = value;
  }
  return rapport::cli::RunCli(args, std::cout, std::cerr, env);
}
