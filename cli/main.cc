// rapportctl: forwards to rapport::cli::RunCli.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* server = std::getenv("RAPPORT_SERVER");
  return rapport::cli::RunCli(args, std::cout, std::cerr, server != nullptr ? server : "");
}
