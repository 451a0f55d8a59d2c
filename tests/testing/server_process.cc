#include "tests/testing/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

namespace rapport::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fork/exec `binary` with `args`, stdout and stderr to `log_path`.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log_path) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int ExitCode(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& data_dir,
                                                    const std::string& log_path,
                                                    const std::vector<std::string>& extra_flags) {
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->log_path_ = log_path;
  std::vector<std::string> args = {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir};
  // Plaintext without authentication, unless the test sets up its own
  // (a configuration file's tokens file is set aside too).
  bool own_auth = false;
  for (const auto& flag : extra_flags) {
    own_auth = own_auth || flag.rfind("--auth_tokens_file", 0) == 0;
  }
  args.push_back("--allow_plaintext");
  if (!own_auth) {
    args.push_back("--allow_unauthenticated");
    args.push_back("--auth_tokens_file=");
  }
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  // Each start appends; remember where this one's output begins.
  const size_t offset = ReadFile(log_path).size();
  p->pid_ = Spawn(RAPPORTD_PATH, args, log_path);
  const std::regex serving(R"(serving grpc=[0-9.]+:([0-9]+) metrics=(?:[0-9.]+:([0-9]+)|off))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = ReadFile(log_path).substr(offset);
    std::smatch m;
    if (std::regex_search(log, m, serving)) {
      p->grpc_port_ = std::stoi(m[1]);
      p->metrics_port_ = m[2].matched ? std::stoi(m[2]) : 0;
      return p;
    }
    int wstatus = 0;
    if (::waitpid(p->pid_, &wstatus, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      ADD_FAILURE() << "rapportd exited with " << ExitCode(wstatus) << " before serving:\n" << log;
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "rapportd did not serve within 60 s:\n" << ReadFile(log_path);
  return nullptr;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int wstatus = 0;
  ::waitpid(pid_, &wstatus, 0);
  pid_ = -1;
  return ExitCode(wstatus);
}

std::string ServerProcess::Log() const { return ReadFile(log_path_); }

int RunRapportd(const std::vector<std::string>& args, const std::string& log_path,
                std::string* output) {
  const pid_t pid = Spawn(RAPPORTD_PATH, args, log_path);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  *output = ReadFile(log_path);
  return ExitCode(wstatus);
}

int RunRapportctl(const std::vector<std::string>& args, std::string* output) {
  return RunProgram(RAPPORTCTL_PATH, args, output);
}

int RunProgram(const std::string& binary, const std::vector<std::string>& args,
               std::string* output) {
  char path[] = "/tmp/rapport-run-out-XXXXXX";
  const int fd = ::mkstemp(path);
  ::close(fd);
  const pid_t pid = Spawn(binary, args, path);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  *output = ReadFile(path);
  ::unlink(path);
  return ExitCode(wstatus);
}

std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(fd, request.data(), request.size()) < 0) {
    ::close(fd);
    return "";
  }
  std::string response;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos ||
      body == std::string::npos) {
    return "";
  }
  return response.substr(body + 4);
}

}  // namespace rapport::testing
