// Starts the real rapportd binary for integration tests: on a temporary data
// directory given by the test, on port 0 for gRPC and /metrics, reading the
// chosen ports back from its start-up log line. The test stops it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace rapport::testing {

class ServerProcess {
 public:
  // Starts rapportd with --data_dir=`data_dir` plus `extra_flags`, logging to
  // `log_path`, and waits until it serves. It serves plaintext (unless the
  // flags give --tls_cert) and admits calls without a token, unless the flags
  // give --auth_tokens_file. nullptr (after a test failure
  // naming the log) if it exits or does not serve within 60 s.
  static std::unique_ptr<ServerProcess> Start(const std::string& data_dir,
                                              const std::string& log_path,
                                              const std::vector<std::string>& extra_flags = {});
  // Kills the process with SIGKILL if it still runs.
  ~ServerProcess();

  // Sends `signal` and waits for the exit; returns the exit code, or
  // 128 + the signal number if a signal ended it.
  int Stop(int signal);

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  pid_t pid() const { return pid_; }
  // Everything the server has logged so far.
  std::string Log() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  std::string log_path_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// Runs rapportd with `args` to completion (for start-up failures); returns the
// exit code and fills `output` with what it printed.
int RunRapportd(const std::vector<std::string>& args, const std::string& log_path,
                std::string* output);

// Runs the rapportctl binary with `args`; returns the exit code and fills
// `output` with stdout and stderr together.
int RunRapportctl(const std::vector<std::string>& args, std::string* output);

// Runs `binary` with `args` to completion; returns the exit code and fills
// `output` with stdout and stderr together.
int RunProgram(const std::string& binary, const std::vector<std::string>& args,
               std::string* output);

// GET http://127.0.0.1:`port``path`; returns the body, or "" on failure.
std::string HttpGet(int port, const std::string& path);

}  // namespace rapport::testing
