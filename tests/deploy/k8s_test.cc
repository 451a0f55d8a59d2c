// deploy/k8s: every manifest parses as YAML (PyYAML, through Debian's
// python3, turns each file into JSON, read here as google.protobuf.Value), and
// the objects fit together: the StatefulSet's volumes, ports, probes and
// annotations agree with the rapportd.conf of the ConfigMap, the Services
// select its pod, the Secret is mounted, the user is the image's, and that
// rapportd.conf starts the real rapportd.
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/config_file.h"
#include "tests/deploy/deploy_testing.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::Value;
using ::rapport::testing::CommandResult;
using ::rapport::testing::ReadFile;
using ::rapport::testing::RunCommand;
using ::rapport::testing::ServerProcess;
using ::rapport::testing::SourcePath;
using ::rapport::testing::TempDir;
using ::rapport::testing::WriteFile;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

// The documents of a YAML file, or a test failure saying why not.
std::vector<Value> LoadYaml(const std::string& path) {
  static constexpr char kToJson[] =
      "import json, sys, yaml\n"
      "with open(sys.argv[1]) as f:\n"
      "    docs = [d for d in yaml.safe_load_all(f) if d is not None]\n"
      "print(json.dumps({'documents': docs}))\n";
  const CommandResult r = RunCommand({RAPPORT_DEBIAN_PYTHON3, "-c", kToJson, path});
  if (r.exit_code != 0) {
    ADD_FAILURE() << path << " does not load as YAML with " << RAPPORT_DEBIAN_PYTHON3
                  << " (PyYAML: Debian package python3-yaml, in deploy/install-deps.sh):\n"
                  << r.output;
    return {};
  }
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(r.output, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<Value> documents;
  for (const Value& d : parsed.fields().at("documents").list_value().values()) {
    documents.push_back(d);
  }
  return documents;
}

// The value at `path` under `root`: dot-separated keys, `[i]` for list items
// ("spec.template.spec.containers[0].ports"). nullptr if there is none.
const Value* At(const Value& root, const std::string& path) {
  const Value* v = &root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    int index = -1;
    if (const size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      if (!absl::SimpleAtoi(part.substr(bracket + 1, part.size() - bracket - 2), &index)) {
        return nullptr;
      }
      part = part.substr(0, bracket);
    }
    if (!part.empty()) {
      if (!v->has_struct_value()) return nullptr;
      const auto& fields = v->struct_value().fields();
      const auto it = fields.find(std::string(part));
      if (it == fields.end()) return nullptr;
      v = &it->second;
    }
    if (index >= 0) {
      if (!v->has_list_value() || index >= v->list_value().values_size()) return nullptr;
      v = &v->list_value().values(index);
    }
  }
  return v;
}

std::string Str(const Value& root, const std::string& path) {
  const Value* v = At(root, path);
  EXPECT_TRUE(v != nullptr && v->has_string_value()) << "no string at " << path;
  return v != nullptr ? v->string_value() : "";
}

double Num(const Value& root, const std::string& path) {
  const Value* v = At(root, path);
  EXPECT_TRUE(v != nullptr && v->has_number_value()) << "no number at " << path;
  return v != nullptr ? v->number_value() : -1;
}

bool Bool(const Value& root, const std::string& path) {
  const Value* v = At(root, path);
  EXPECT_TRUE(v != nullptr && v->has_bool_value()) << "no boolean at " << path;
  return v != nullptr && v->bool_value();
}

// The list at `path`, empty (and a failure) if there is none.
std::vector<Value> List(const Value& root, const std::string& path) {
  const Value* v = At(root, path);
  EXPECT_TRUE(v != nullptr && v->has_list_value()) << "no list at " << path;
  if (v == nullptr || !v->has_list_value()) return {};
  return {v->list_value().values().begin(), v->list_value().values().end()};
}

std::map<std::string, std::string> StringMap(const Value& root, const std::string& path) {
  std::map<std::string, std::string> map;
  const Value* v = At(root, path);
  EXPECT_TRUE(v != nullptr && v->has_struct_value()) << "no map at " << path;
  if (v == nullptr) return map;
  for (const auto& [key, value] : v->struct_value().fields()) map[key] = value.string_value();
  return map;
}

// The item of the list at `path` whose `name` is `name`.
const Value* Named(const Value& root, const std::string& path, const std::string& name) {
  const Value* list = At(root, path);
  if (list == nullptr || !list->has_list_value()) return nullptr;
  for (const Value& item : list->list_value().values()) {
    const Value* n = At(item, "name");
    if (n == nullptr) n = At(item, "metadata.name");
    if (n != nullptr && n->string_value() == name) return &item;
  }
  return nullptr;
}

std::string PortOf(const std::string& address) { return address.substr(address.rfind(':') + 1); }

class K8sTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& entry : fs::directory_iterator(SourcePath("deploy/k8s"))) {
      if (entry.path().extension() != ".yaml") continue;
      for (Value& doc : LoadYaml(entry.path().string())) {
        const std::string kind = At(doc, "kind") ? At(doc, "kind")->string_value() : "";
        files_[entry.path().filename().string()].push_back(kind);
        objects_[kind].push_back(std::move(doc));
      }
    }
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(objects_["StatefulSet"].size(), 1u);
    ASSERT_EQ(objects_["ConfigMap"].size(), 1u);
    sts_ = objects_["StatefulSet"][0];
    pod_ = *At(sts_, "spec.template");
    container_ = *At(pod_, "spec.containers[0]");
  }
  // rapportd.conf of the ConfigMap: key -> value.
  std::map<std::string, std::string> Conf() {
    const Value* text = At(objects_["ConfigMap"][0], "data");
    EXPECT_NE(text, nullptr);
    const auto& fields = text->struct_value().fields();
    const auto it = fields.find("rapportd.conf");
    EXPECT_NE(it, fields.end()) << "the ConfigMap has no rapportd.conf";
    if (it == fields.end()) return {};
    auto entries = ParseConfig(it->second.string_value());
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::map<std::string, std::string> conf;
    for (const auto& e : entries.ok() ? *entries : std::vector<ConfigEntry>{}) conf[e.key] = e.value;
    return conf;
  }
  std::string ConfText() {
    return At(objects_["ConfigMap"][0], "data")->struct_value().fields().at("rapportd.conf")
        .string_value();
  }

  std::map<std::string, std::vector<std::string>> files_;  // file -> kinds.
  std::map<std::string, std::vector<Value>> objects_;       // kind -> objects.
  Value sts_, pod_, container_;
};

TEST_F(K8sTest, EveryObjectHasApiVersionKindAndName) {
  for (const auto& [kind, objects] : objects_) {
    for (const Value& object : objects) {
      EXPECT_FALSE(kind.empty());
      EXPECT_FALSE(Str(object, "apiVersion").empty()) << kind;
      if (kind != "Kustomization") {
        EXPECT_FALSE(Str(object, "metadata.name").empty()) << kind;
      }
    }
  }
  EXPECT_EQ(objects_["Service"].size(), 2u);
  EXPECT_EQ(objects_["Secret"].size(), 1u);
}

TEST_F(K8sTest, KustomizationListsEveryManifest) {
  ASSERT_EQ(objects_["Kustomization"].size(), 1u);
  std::vector<std::string> resources;
  for (const Value& r : List(objects_["Kustomization"][0], "resources")) {
    resources.push_back(r.string_value());
  }
  std::vector<std::string> manifests;
  for (const auto& [file, kinds] : files_) {
    if (file != "kustomization.yaml") manifests.push_back(file);
  }
  EXPECT_THAT(resources, UnorderedElementsAreArray(manifests));
}

TEST_F(K8sTest, StatefulSetRunsOneReplicaOnItsOwnVolume) {
  EXPECT_EQ(Str(sts_, "apiVersion"), "apps/v1");
  EXPECT_EQ(Num(sts_, "spec.replicas"), 1);
  const auto pod_labels = StringMap(pod_, "metadata.labels");
  const auto selector = StringMap(sts_, "spec.selector.matchLabels");
  EXPECT_FALSE(selector.empty());
  for (const auto& [key, value] : selector) {
    EXPECT_EQ(pod_labels.count(key) ? pod_labels.at(key) : "", value)
        << "the selector must match the pod's labels";
  }
  // The store lives on the pod's own persistent volume, where rapportd.conf says.
  const Value* data = Named(sts_, "spec.volumeClaimTemplates", "data");
  ASSERT_NE(data, nullptr) << "no volumeClaimTemplate named data";
  EXPECT_THAT(List(*data, "spec.accessModes"), ElementsAre(::testing::_));
  EXPECT_EQ(At(*data, "spec.accessModes[0]")->string_value(), "ReadWriteOnce");
  EXPECT_FALSE(Str(*data, "spec.resources.requests.storage").empty());
  const Value* mount = Named(container_, "volumeMounts", "data");
  ASSERT_NE(mount, nullptr);
  EXPECT_EQ(Str(*mount, "mountPath"), Conf()["data_dir"]);
}

TEST_F(K8sTest, ContainerReadsTheConfigMapAndTheSecret) {
  EXPECT_EQ(List(container_, "args").size(), 1u);
  const Value* config_mount = Named(container_, "volumeMounts", "config");
  ASSERT_NE(config_mount, nullptr);
  EXPECT_EQ(Str(container_, "args[0]"),
            "--config=" + Str(*config_mount, "mountPath") + "/rapportd.conf");
  const Value* config = Named(pod_, "spec.volumes", "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(Str(*config, "configMap.name"), Str(objects_["ConfigMap"][0], "metadata.name"));

  const Value& secret = objects_["Secret"][0];
  const Value* secrets = Named(pod_, "spec.volumes", "secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ(Str(*secrets, "secret.secretName"), Str(secret, "metadata.name"));
  const Value* secrets_mount = Named(container_, "volumeMounts", "secrets");
  ASSERT_NE(secrets_mount, nullptr);
  EXPECT_TRUE(Bool(*secrets_mount, "readOnly"));
  std::set<std::string> keys;
  for (const auto& [key, value] : At(secret, "stringData")->struct_value().fields()) {
    keys.insert(key);
  }
  EXPECT_THAT(keys, ElementsAre("tls.crt", "tls.key", "tokens"));
}

TEST_F(K8sTest, ProbesUseTheGrpcHealthServiceOnTheListenPort) {
  const std::string grpc_port = PortOf(Conf()["listen"]);
  EXPECT_EQ(Conf()["listen"], "0.0.0.0:" + grpc_port) << "probes reach the pod's IP";
  const Value* port = Named(container_, "ports", "grpc");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(absl::StrCat(Num(*port, "containerPort")), grpc_port);
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    EXPECT_EQ(absl::StrCat(Num(container_, absl::StrCat(probe, ".grpc.port"))), grpc_port)
        << probe;
  }
}

TEST_F(K8sTest, PrometheusScrapesTheMetricsPort) {
  const std::string metrics_port = PortOf(Conf()["metrics_listen"]);
  const auto annotations = StringMap(pod_, "metadata.annotations");
  EXPECT_EQ(annotations.at("prometheus.io/scrape"), "true");
  EXPECT_EQ(annotations.at("prometheus.io/port"), metrics_port);
  EXPECT_EQ(annotations.at("prometheus.io/path"), "/metrics");
  const Value* port = Named(container_, "ports", "metrics");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(absl::StrCat(Num(*port, "containerPort")), metrics_port);
}

TEST_F(K8sTest, ResourcesAndShutdownAreBounded) {
  for (const char* kind : {"requests", "limits"}) {
    for (const char* resource : {"cpu", "memory"}) {
      EXPECT_FALSE(Str(container_, absl::StrCat("resources.", kind, ".", resource)).empty())
          << kind << "." << resource;
    }
  }
  absl::Duration grace;
  ASSERT_TRUE(absl::ParseDuration(Conf()["grace_period"], &grace));
  EXPECT_GE(absl::Seconds(Num(pod_, "spec.terminationGracePeriodSeconds")),
            grace + absl::Seconds(10))
      << "the kubelet's SIGKILL must come well after rapportd's grace period";
}

TEST_F(K8sTest, RunsAsTheImagesNonRootUser) {
  EXPECT_TRUE(Bool(pod_, "spec.securityContext.runAsNonRoot"));
  const std::string dockerfile = ReadFile(SourcePath("deploy/container/Dockerfile"));
  const std::string uid = absl::StrCat(Num(pod_, "spec.securityContext.runAsUser"));
  EXPECT_NE(dockerfile.find("\nUSER " + uid + ":"), std::string::npos)
      << "runAsUser " << uid << " is not the Dockerfile's USER";
  EXPECT_EQ(absl::StrCat(Num(pod_, "spec.securityContext.fsGroup")), uid)
      << "the data volume must be writable by the user";
  EXPECT_FALSE(Bool(container_, "securityContext.allowPrivilegeEscalation"));
}

TEST_F(K8sTest, ServicesSelectThePodAndOneGovernsTheStatefulSet) {
  const auto pod_labels = StringMap(pod_, "metadata.labels");
  bool governs = false;
  for (const Value& service : objects_["Service"]) {
    for (const auto& [key, value] : StringMap(service, "spec.selector")) {
      EXPECT_EQ(pod_labels.count(key) ? pod_labels.at(key) : "", value)
          << Str(service, "metadata.name") << " does not select the pod";
    }
    const Value* grpc = Named(service, "spec.ports", "grpc");
    ASSERT_NE(grpc, nullptr) << Str(service, "metadata.name");
    EXPECT_EQ(Num(*grpc, "port"), 50051);
    if (Str(service, "metadata.name") == Str(sts_, "spec.serviceName")) {
      governs = true;
      EXPECT_EQ(Str(service, "spec.clusterIP"), "None") << "the governing Service is headless";
    }
  }
  EXPECT_TRUE(governs) << "no Service named like spec.serviceName";
}

TEST_F(K8sTest, TheConfigMapsConfigurationStartsRapportd) {
  TempDir dir;
  // The Secret's files, made here: a self-signed certificate and an empty
  // tokens file, where the configuration expects the Secret's mount.
  const std::string secrets = dir.Sub("rapport-secrets");
  std::filesystem::create_directories(secrets);
  const CommandResult cert = RunCommand(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", secrets + "/tls.key",
       "-out", secrets + "/tls.crt", "-subj", "/CN=rapportd", "-days", "1"});
  ASSERT_EQ(cert.exit_code, 0) << cert.output;
  WriteFile(secrets + "/tokens", "# no principal yet\n");
  std::string conf = ConfText();
  EXPECT_THAT(conf, HasSubstr("/etc/rapport-secrets/tls.crt"));
  EXPECT_THAT(conf, HasSubstr("/etc/rapport-secrets/tokens"));
  EXPECT_THAT(conf, HasSubstr("allow_plaintext = false"));
  EXPECT_THAT(conf, HasSubstr("allow_unauthenticated = false"));
  conf = absl::StrReplaceAll(conf, {{"/etc/rapport-secrets", secrets}});
  WriteFile(dir.Sub("rapportd.conf"), conf);
  // ServerProcess's flags move the addresses and data_dir to run here; the
  // tokens file stays the configuration's.
  auto server = ServerProcess::Start(
      dir.Sub("data"), dir.Sub("rapportd.log"),
      {"--config=" + dir.Sub("rapportd.conf"), "--auth_tokens_file=" + secrets + "/tokens"});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->Log(), HasSubstr("tls=on auth=tokens"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rapport
