// rapport_load: a closed-loop load generator for any unary RPC of a running
// rapportd.
//
// It keeps exactly --concurrency calls in flight over --connections TCP
// connections, driven by --threads completion-queue threads: each completed
// call immediately starts the next. The request is built from protobuf JSON
// for whatever method the compiled-in descriptor pool knows (every file of
// rapport_proto is linked in whole) and sent as bytes with grpc::GenericStub,
// so the tool needs no change when an RPC is added. Latency is measured per
// call, from start to completion on the client.
//
// Every performance target of Rapport is stated relative to a baseline ("at
// least 0.5 of the health check's rate at 64 in flight"), so the tool first
// runs --baseline_method under the same load, then the target method, and
// prints target rate / baseline rate. Rates in the ratio count OK calls only:
// a method failing fast must not look fast. With --rounds=N both are measured
// N times in ABBA order and the ratio is of the totals: the speed of a shared
// machine drifts from one run to the next, often by a third.
//
// With --once it makes a single call of --method instead and reports its
// status: the benchmark scripts' setup calls, which must not fail unnoticed.
//
// Exit codes: 0 done; 1 the ratio is below --min_ratio; 2 bad flags, an
// unknown or streaming method, a bad request, or an unreachable server; 3
// the --once call did not return OK.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/numeric/bits.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "Address of the rapportd to load, host:port.");
ABSL_FLAG(std::string, method, "",
          "Full name of the unary method to load, such as "
          "rapport.v1.AdminService/GetServerInfo (also accepted: /pkg.Service/Method and "
          "pkg.Service.Method). Required.");
ABSL_FLAG(std::string, request, "{}",
          "Request message of --method in protobuf JSON. {{seq}} is replaced by a unique, "
          "increasing integer per call (unique ids for Create calls), {{rand}} by a random "
          "unsigned 64-bit number.");
ABSL_FLAG(int, concurrency, 64, "Calls kept in flight at all times.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "How long each method is measured.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "Load applied before each measurement, not measured.");
ABSL_FLAG(std::string, baseline_method, "grpc.health.v1.Health/Check",
          "Method run first under the same load, as the reference rate; empty disables it.");
ABSL_FLAG(std::string, baseline_request, "{}", "Request of --baseline_method, like --request.");
ABSL_FLAG(int, connections, 2, "Number of gRPC channels, each its own TCP connection.");
ABSL_FLAG(int, threads, 2, "Client threads driving the calls, each with its completion queue.");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(10),
          "Deadline of each call; a call past it counts as DEADLINE_EXCEEDED.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "How long to wait for every connection before giving up on the server.");
ABSL_FLAG(uint64_t, seq_start, 1,
          "First value of {{seq}}; raise it when re-running Create calls against the same "
          "data directory.");
ABSL_FLAG(double, min_ratio, 0,
          "If positive: exit with code 1 when target OK rate / baseline OK rate is below it.");
ABSL_FLAG(std::string, then, "",
          "Further calls made after each OK call of --method, with the same {{seq}}, one per "
          "line as 'pkg.Service/Method {json}': a cycle such as create, acknowledge, resolve. "
          "Each slot runs the cycle to its end (or to a failed call), then starts the next "
          "with a new {{seq}}. Every call counts; the rate is of calls, not cycles.");
ABSL_FLAG(int, rounds, 1,
          "Measure baseline and target this many times each, alternating which goes first "
          "(baseline, target, target, baseline, ...), and report the rates over all rounds: "
          "on a shared machine whose speed drifts, the ratio then compares like with like.");
ABSL_FLAG(bool, once, false,
          "Make one call of --method with --request (placeholders from --seq_start) and exit: "
          "0 if it returns OK, 3 otherwise with its status on stderr. No load, no baseline.");
ABSL_FLAG(bool, json, false, "Also print the results as one JSON line on stdout.");
ABSL_FLAG(int, server_pid, 0,
          "Process id of the rapportd being loaded, when it runs on this machine: then each "
          "method's server CPU per call is read from /proc over the measured window, and a CPU "
          "ratio is printed next to the rate ratio.");
ABSL_FLAG(std::string, token, "",
          "Bearer token sent with every call (as 'authorization: Bearer TOKEN'), for a rapportd "
          "with --auth_tokens_file; default $RAPPORT_TOKEN.");

namespace {

constexpr int kExitBelowRatio = 1;
constexpr int kExitCallFailed = 3;
constexpr int kExitUsage = 2;
// grpc::StatusCode values are 0 (OK) to 16 (UNAUTHENTICATED).
constexpr int kStatusCodeCount = 17;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU time (user + system) this process has used, all threads.
absl::Duration OwnCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

// CPU time (user + system) process `pid` has used, from /proc; zero if it
// cannot be read.
absl::Duration ProcessCpu(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command (which may hold spaces) start past its ')':
  // state is field 3, utime 14 and stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return absl::ZeroDuration();
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ', absl::SkipEmpty());
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK));
}

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// A log-linear latency histogram (HdrHistogram's layout): exact below 128 ns,
// then 64 buckets per power of two, so a quantile is within 0.8% of the true
// value whatever the range. Fixed size, cheap to record and to merge.
class LatencyHistogram final {
 public:
  // Counts one call that took `nanos`.
  void Record(int64_t nanos) {
    const uint64_t v = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
    ++buckets_[BucketOf(v)];
    ++count_;
    max_ = std::max(max_, v);
  }

  // Adds every call counted by `other`.
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

  // The q-quantile (0 < q <= 1) in nanoseconds; 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return std::min(Midpoint(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kExact = uint64_t{1} << kSubBits;  // 128
  static constexpr uint64_t kHalf = kExact / 2;                // 64
  // Values fit in 63 bits: exponents 7..62 each get kHalf buckets.
  static constexpr size_t kBucketCount = kExact + (63 - kSubBits) * kHalf;

  static size_t BucketOf(uint64_t v) {
    if (v < kExact) return v;
    const int msb = 63 - absl::countl_zero(v);
    const int shift = msb - (kSubBits - 1);
    return kExact + (shift - 1) * kHalf + ((v >> shift) - kHalf);
  }

  static uint64_t Midpoint(size_t bucket) {
    if (bucket < kExact) return bucket;
    const uint64_t k = bucket - kExact;
    const int shift = static_cast<int>(k / kHalf) + 1;
    const uint64_t low = (k % kHalf + kHalf) << shift;
    return low + ((uint64_t{1} << shift) >> 1);
  }

  std::vector<uint64_t> buckets_ = std::vector<uint64_t>(kBucketCount);
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// A method to call: its descriptor and the path gRPC sends.
struct Method {
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  // "pkg.Service/Method", as shown to the user.
  std::string name;
  // "/pkg.Service/Method", as sent on the wire.
  std::string path;
};

// Resolves `name` in the generated descriptor pool. NOT_FOUND if the pool has
// no such method (listing the service's methods when the service exists);
// INVALID_ARGUMENT if it streams.
absl::StatusOr<Method> FindMethod(absl::string_view name) {
  absl::string_view trimmed = name;
  absl::ConsumePrefix(&trimmed, "/");
  std::string service_name;
  std::string method_name;
  if (const auto slash = trimmed.rfind('/'); slash != absl::string_view::npos) {
    service_name = std::string(trimmed.substr(0, slash));
    method_name = std::string(trimmed.substr(slash + 1));
  } else if (const auto dot = trimmed.rfind('.'); dot != absl::string_view::npos) {
    service_name = std::string(trimmed.substr(0, dot));
    method_name = std::string(trimmed.substr(dot + 1));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("method \"", name, "\" is not of the form pkg.Service/Method"));
  }
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* service = pool->FindServiceByName(service_name);
  if (service == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown service \"", service_name,
                     "\": it is not among the protos compiled into rapport_load (rapport_proto)"));
  }
  const auto* method = service->FindMethodByName(method_name);
  if (method == nullptr) {
    std::vector<std::string> known;
    for (int i = 0; i < service->method_count(); ++i) known.push_back(service->method(i)->name());
    return absl::NotFoundError(absl::StrCat("unknown method \"", method_name, "\" of ",
                                            service_name,
                                            "; it has: ", absl::StrJoin(known, ", ")));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), " streams; only unary methods can be loaded"));
  }
  Method result;
  result.descriptor = method;
  result.name = absl::StrCat(service->full_name(), "/", method->name());
  result.path = absl::StrCat("/", result.name);
  return result;
}

// The request of every call, from protobuf JSON in which {{seq}} and
// {{rand}} stand for per-call values (every occurrence of one placeholder
// gets the same value within a call).
//
// Parsing JSON on every call would cost the client more CPU than many RPCs
// cost the server, and client and server often share a machine: a templated
// target would look slower than a constant baseline. So the JSON is parsed
// once with marker numbers in place of the placeholders, the fields holding
// the markers are located by reflection, and each call copies that message
// and sets those fields. Placeholders the fast path cannot place exactly (in
// maps, bytes, floats, enums, well-known types written as strings) make every
// call go through JSON instead. A template without placeholders is
// serialized once.
class RequestTemplate final {
 public:
  // Checks `json` by parsing it with every placeholder set to 1.
  // INVALID_ARGUMENT with the parser's message if it does not parse.
  static absl::StatusOr<std::unique_ptr<RequestTemplate>> Create(
      const google::protobuf::Descriptor* type, absl::string_view json) {
    auto tmpl = std::unique_ptr<RequestTemplate>(new RequestTemplate(type, json));
    auto scratch = tmpl->NewScratch();
    std::string bytes;
    if (absl::Status status = tmpl->SerializeJson(1, 1, scratch.get(), &bytes); !status.ok()) {
      return status;
    }
    if (!tmpl->has_placeholders()) {
      tmpl->constant_ = ToByteBuffer(bytes);
    } else {
      tmpl->FindSites();
    }
    return tmpl;
  }

  // A message to pass to Render(); one per thread.
  std::unique_ptr<google::protobuf::Message> NewScratch() const {
    return std::unique_ptr<google::protobuf::Message>(prototype_->New());
  }

  // Sets `*out` to the serialized request for `seq` and `rand`. Thread-safe
  // with a scratch message per thread. INVALID_ARGUMENT if a value does not
  // fit its field.
  absl::Status Render(uint64_t seq, uint64_t rand, google::protobuf::Message* scratch,
                      grpc::ByteBuffer* out) const {
    if (!has_placeholders()) {
      *out = constant_;  // Shares the slices, copies nothing.
      return absl::OkStatus();
    }
    std::string bytes;
    if (absl::Status status = marked_ != nullptr ? SerializeSites(seq, rand, scratch, &bytes)
                                                 : SerializeJson(seq, rand, scratch, &bytes);
        !status.ok()) {
      return status;
    }
    *out = ToByteBuffer(bytes);
    return absl::OkStatus();
  }

  bool has_placeholders() const { return placeholder_count_ > 0; }
  // Whether each call parses JSON (the slow path).
  bool parses_per_call() const { return has_placeholders() && marked_ == nullptr; }

 private:
  enum class Part { kLiteral, kSeq, kRand };
  struct Piece {
    Part part;
    std::string literal;
  };
  // A field whose value comes from placeholders: the message fields leading
  // to it (index -1 for a singular field), the field, and for a string the
  // pieces of its value; for an integer, pieces is one placeholder.
  struct Site {
    std::vector<std::pair<const google::protobuf::FieldDescriptor*, int>> path;
    const google::protobuf::FieldDescriptor* field = nullptr;
    int index = -1;
    std::vector<Piece> pieces;
  };

  // Markers standing for the placeholders while locating them: they fit
  // every integer type and are unlikely in a hand-written request.
  static constexpr absl::string_view kSeqMarker = "1907354261";
  static constexpr absl::string_view kRandMarker = "1790235473";

  RequestTemplate(const google::protobuf::Descriptor* type, absl::string_view json)
      : type_(type),
        json_(json),
        placeholder_count_(CountOf(json, "{{seq}}") + CountOf(json, "{{rand}}")),
        prototype_(PrototypeOf(type)) {}

  // The generated class of `type` (every file of rapport_proto is linked in,
  // and the descriptors come from the generated pool): copying and
  // serializing it runs generated code. A DynamicMessage would do both by
  // reflection, costing the client several times more per call for a
  // templated target than for the constant baseline.
  const google::protobuf::Message* PrototypeOf(const google::protobuf::Descriptor* type) {
    const auto* generated = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
    return generated != nullptr ? generated : dynamic_factory_.GetPrototype(type);
  }

  static int CountOf(absl::string_view text, absl::string_view needle) {
    int count = 0;
    for (auto at = text.find(needle); at != absl::string_view::npos;
         at = text.find(needle, at + needle.size())) {
      ++count;
    }
    return count;
  }

  static grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
    grpc::Slice slice(bytes);
    return grpc::ByteBuffer(&slice, 1);
  }

  absl::Status ParseJson(const std::string& json, google::protobuf::Message* message) const {
    message->Clear();
    const auto status = google::protobuf::util::JsonStringToMessage(json, message);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("not a valid ", type_->full_name(), ": ",
                                                     status.message().ToString(),
                                                     " (request: ", json, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status SerializeJson(uint64_t seq, uint64_t rand, google::protobuf::Message* scratch,
                             std::string* bytes) const {
    const std::string json = absl::StrReplaceAll(
        json_, {{"{{seq}}", absl::StrCat(seq)}, {"{{rand}}", absl::StrCat(rand)}});
    if (absl::Status status = ParseJson(json, scratch); !status.ok()) return status;
    scratch->SerializeToString(bytes);
    return absl::OkStatus();
  }

  // Parses the template with markers and records where they landed. Leaves
  // marked_ null (JSON on every call) unless every placeholder was found.
  void FindSites() {
    if (absl::StrContains(json_, kSeqMarker) || absl::StrContains(json_, kRandMarker)) return;
    std::unique_ptr<google::protobuf::Message> marked(prototype_->New());
    const std::string json =
        absl::StrReplaceAll(json_, {{"{{seq}}", kSeqMarker}, {"{{rand}}", kRandMarker}});
    if (!ParseJson(json, marked.get()).ok()) return;
    std::vector<std::pair<const google::protobuf::FieldDescriptor*, int>> path;
    int found = 0;
    WalkMessage(*marked, &path, &found);
    if (found == placeholder_count_) {
      marked_ = std::move(marked);
    } else {
      sites_.clear();
    }
  }

  void WalkMessage(const google::protobuf::Message& message,
                   std::vector<std::pair<const google::protobuf::FieldDescriptor*, int>>* path,
                   int* found) {
    using google::protobuf::FieldDescriptor;
    const auto* reflection = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    reflection->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      if (field->is_map()) continue;  // Entries have no stable index.
      const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        const int index = field->is_repeated() ? i : -1;
        Site site;
        switch (field->cpp_type()) {
          case FieldDescriptor::CPPTYPE_MESSAGE:
            path->emplace_back(field, index);
            WalkMessage(index < 0 ? reflection->GetMessage(message, field)
                                  : reflection->GetRepeatedMessage(message, field, index),
                        path, found);
            path->pop_back();
            continue;
          case FieldDescriptor::CPPTYPE_STRING:
            if (field->type() == FieldDescriptor::TYPE_BYTES) continue;
            site.pieces =
                SplitAtMarkers(index < 0 ? reflection->GetString(message, field)
                                         : reflection->GetRepeatedString(message, field, index));
            if (site.pieces.size() == 1 && site.pieces[0].part == Part::kLiteral) continue;
            break;
          case FieldDescriptor::CPPTYPE_INT32:
          case FieldDescriptor::CPPTYPE_INT64:
          case FieldDescriptor::CPPTYPE_UINT32:
          case FieldDescriptor::CPPTYPE_UINT64: {
            const std::string value = IntegerText(message, field, index);
            if (value == kSeqMarker) {
              site.pieces.push_back({Part::kSeq, ""});
            } else if (value == kRandMarker) {
              site.pieces.push_back({Part::kRand, ""});
            } else {
              continue;
            }
            break;
          }
          default:
            continue;
        }
        for (const Piece& piece : site.pieces) *found += piece.part != Part::kLiteral ? 1 : 0;
        site.path = *path;
        site.field = field;
        site.index = index;
        sites_.push_back(std::move(site));
      }
    }
  }

  static std::vector<Piece> SplitAtMarkers(absl::string_view text) {
    std::vector<Piece> pieces;
    while (!text.empty()) {
      const auto seq = text.find(kSeqMarker);
      const auto rand = text.find(kRandMarker);
      const auto at = std::min(seq, rand);
      if (at == absl::string_view::npos) break;
      if (at > 0) pieces.push_back({Part::kLiteral, std::string(text.substr(0, at))});
      pieces.push_back({at == seq ? Part::kSeq : Part::kRand, ""});
      text.remove_prefix(at + kSeqMarker.size());  // Both markers have the same length.
    }
    if (!text.empty()) pieces.push_back({Part::kLiteral, std::string(text)});
    return pieces;
  }

  static std::string IntegerText(const google::protobuf::Message& message,
                                 const google::protobuf::FieldDescriptor* field, int index) {
    using google::protobuf::FieldDescriptor;
    const auto* r = message.GetReflection();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return absl::StrCat(index < 0 ? r->GetInt32(message, field)
                                      : r->GetRepeatedInt32(message, field, index));
      case FieldDescriptor::CPPTYPE_INT64:
        return absl::StrCat(index < 0 ? r->GetInt64(message, field)
                                      : r->GetRepeatedInt64(message, field, index));
      case FieldDescriptor::CPPTYPE_UINT32:
        return absl::StrCat(index < 0 ? r->GetUInt32(message, field)
                                      : r->GetRepeatedUInt32(message, field, index));
      default:
        return absl::StrCat(index < 0 ? r->GetUInt64(message, field)
                                      : r->GetRepeatedUInt64(message, field, index));
    }
  }

  // Sets an integer field from decimal `text`, as JSON parsing would: a value
  // out of the field's range is INVALID_ARGUMENT.
  static absl::Status SetInteger(google::protobuf::Message* message,
                                 const google::protobuf::FieldDescriptor* field, int index,
                                 const std::string& text) {
    using google::protobuf::FieldDescriptor;
    const auto* r = message->GetReflection();
    bool ok = false;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = 0;
        if ((ok = absl::SimpleAtoi(text, &v))) {
          index < 0 ? r->SetInt32(message, field, v)
                    : r->SetRepeatedInt32(message, field, index, v);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        if ((ok = absl::SimpleAtoi(text, &v))) {
          index < 0 ? r->SetInt64(message, field, v)
                    : r->SetRepeatedInt64(message, field, index, v);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v = 0;
        if ((ok = absl::SimpleAtoi(text, &v))) {
          index < 0 ? r->SetUInt32(message, field, v)
                    : r->SetRepeatedUInt32(message, field, index, v);
        }
        break;
      }
      default: {
        uint64_t v = 0;
        if ((ok = absl::SimpleAtoi(text, &v))) {
          index < 0 ? r->SetUInt64(message, field, v)
                    : r->SetRepeatedUInt64(message, field, index, v);
        }
        break;
      }
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("value ", text, " does not fit field ", field->full_name()));
    }
    return absl::OkStatus();
  }

  absl::Status SerializeSites(uint64_t seq, uint64_t rand, google::protobuf::Message* scratch,
                              std::string* bytes) const {
    scratch->CopyFrom(*marked_);
    const std::string seq_text = absl::StrCat(seq);
    const std::string rand_text = absl::StrCat(rand);
    for (const Site& site : sites_) {
      google::protobuf::Message* message = scratch;
      for (const auto& [field, index] : site.path) {
        const auto* r = message->GetReflection();
        message = index < 0 ? r->MutableMessage(message, field)
                            : r->MutableRepeatedMessage(message, field, index);
      }
      std::string value;
      for (const Piece& piece : site.pieces) {
        absl::StrAppend(&value, piece.part == Part::kSeq    ? seq_text
                                : piece.part == Part::kRand ? rand_text
                                                            : piece.literal);
      }
      if (site.field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        const auto* r = message->GetReflection();
        site.index < 0 ? r->SetString(message, site.field, std::move(value))
                       : r->SetRepeatedString(message, site.field, site.index, std::move(value));
      } else if (absl::Status status = SetInteger(message, site.field, site.index, value);
                 !status.ok()) {
        return status;
      }
    }
    scratch->SerializeToString(bytes);
    return absl::OkStatus();
  }

  const google::protobuf::Descriptor* const type_;
  const std::string json_;
  const int placeholder_count_;
  google::protobuf::DynamicMessageFactory dynamic_factory_;  // Only for types not linked in.
  const google::protobuf::Message* const prototype_;
  grpc::ByteBuffer constant_;
  // The template parsed with markers, when every placeholder has a site.
  std::unique_ptr<google::protobuf::Message> marked_;
  std::vector<Site> sites_;
};

// What one thread (and, merged, one run) saw in the measured window.
struct RunStats {
  LatencyHistogram latency;
  std::array<uint64_t, kStatusCodeCount> codes{};

  void Merge(const RunStats& other) {
    latency.Merge(other.latency);
    for (int i = 0; i < kStatusCodeCount; ++i) codes[i] += other.codes[i];
  }
};

// The result of loading one method.
struct RunResult {
  std::string method;
  absl::Duration measured;
  RunStats stats;
  // CPU used over the measured window: by this process, and by the server
  // when --server_pid names it.
  absl::Duration client_cpu;
  std::optional<absl::Duration> server_cpu;

  uint64_t calls() const { return stats.latency.count(); }
  uint64_t ok() const { return stats.codes[0]; }
  double rps() const { return calls() / absl::ToDoubleSeconds(measured); }
  double ok_rps() const { return ok() / absl::ToDoubleSeconds(measured); }
  // Microseconds of CPU per call, client and server together when both are
  // known.
  double CpuPerCall(absl::Duration cpu) const {
    return calls() == 0 ? 0 : absl::ToDoubleMicroseconds(cpu) / static_cast<double>(calls());
  }
  std::optional<double> TotalCpuPerCall() const {
    if (!server_cpu.has_value()) return std::nullopt;
    return CpuPerCall(client_cpu + *server_cpu);
  }
};

// The authorization header of every call ("" without a token).
const std::string& Authorization() {
  static const std::string* const header = [] {
    std::string token = absl::GetFlag(FLAGS_token);
    if (token.empty() && std::getenv("RAPPORT_TOKEN") != nullptr) token = std::getenv("RAPPORT_TOKEN");
    return new std::string(token.empty() ? "" : "Bearer " + token);
  }();
  return *header;
}

// Everything the worker threads of one run share. Read-only but for the
// sequence counter and the error.
struct RunContext {
  // The cycle each slot runs: usually one method.
  std::vector<const Method*> methods;
  std::vector<const RequestTemplate*> requests;
  const std::vector<std::unique_ptr<grpc::GenericStub>>* stubs = nullptr;
  std::atomic<uint64_t>* seq = nullptr;
  absl::Duration call_timeout;
  int threads = 1;
  // Calls completing in [measure_start, measure_end) are counted; none start
  // at or after measure_end.
  int64_t measure_start = 0;
  int64_t measure_end = 0;

  std::atomic<bool> failed{false};
  std::mutex error_mu;
  absl::Status error;  // Guarded by error_mu.

  void Fail(absl::Status status) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error.ok()) error = std::move(status);
    failed.store(true, std::memory_order_relaxed);
  }
};

// One call in flight; its address is the completion queue tag.
struct Call {
  int slot = 0;
  size_t step = 0;  // In the cycle.
  uint64_t seq = 0;
  int64_t start = 0;
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
};

// Drives `slots` concurrent calls on its own completion queue until the
// measured window ends, then waits for its calls still in flight.
void RunWorker(RunContext& ctx, int worker, int slots, RunStats* stats) {
  grpc::CompletionQueue cq;
  absl::BitGen random;
  std::vector<std::unique_ptr<google::protobuf::Message>> scratch;
  bool placeholders = false;
  for (const RequestTemplate* r : ctx.requests) {
    scratch.push_back(r->NewScratch());
    placeholders = placeholders || r->has_placeholders();
  }
  const auto& stubs = *ctx.stubs;
  std::vector<std::unique_ptr<Call>> calls(slots);

  // Starts step `step` of the cycle in `slot`; step 0 takes a new sequence
  // number, later steps reuse `seq`.
  const auto start_call = [&](int slot, size_t step, uint64_t seq) {
    grpc::ByteBuffer request;
    if (step == 0) seq = placeholders ? ctx.seq->fetch_add(1, std::memory_order_relaxed) : 0;
    if (absl::Status status = ctx.requests[step]->Render(seq, absl::Uniform<uint64_t>(random),
                                                         scratch[step].get(), &request);
        !status.ok()) {
      ctx.Fail(std::move(status));
      return false;
    }
    auto call = std::make_unique<Call>();
    call->slot = slot;
    call->step = step;
    call->seq = seq;
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + ctx.call_timeout));
    if (!Authorization().empty()) call->context.AddMetadata("authorization", Authorization());
    // Spread the slots of all workers evenly over the connections.
    const int global_slot = worker + slot * ctx.threads;
    call->reader = stubs[global_slot % stubs.size()]->PrepareUnaryCall(
        &call->context, ctx.methods[step]->path, request, &cq);
    call->start = NowNanos();
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call.get());
    calls[slot] = std::move(call);
    return true;
  };

  int in_flight = 0;
  for (int slot = 0; slot < slots && start_call(slot, 0, 0); ++slot) ++in_flight;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    const int64_t now = NowNanos();
    const Call* call = static_cast<Call*>(tag);
    --in_flight;
    if (now >= ctx.measure_start && now < ctx.measure_end) {
      stats->latency.Record(now - call->start);
      const int code = call->status.error_code();
      ++stats->codes[code >= 0 && code < kStatusCodeCount ? code : grpc::StatusCode::UNKNOWN];
    }
    // The next step of the cycle after an OK call; else a new cycle.
    const size_t next = call->status.ok() ? (call->step + 1) % ctx.methods.size() : 0;
    if (now < ctx.measure_end && !ctx.failed.load(std::memory_order_relaxed) &&
        start_call(call->slot, next, call->seq)) {  // Replaces (and frees) `call`.
      ++in_flight;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Makes one call of `method` with `request` rendered for `seq`, and waits for
// its status. INVALID_ARGUMENT (no call made) if the rendered request does
// not parse.
absl::StatusOr<grpc::Status> CallOnce(grpc::GenericStub& stub, const Method& method,
                                      const RequestTemplate& request, uint64_t seq,
                                      absl::Duration timeout) {
  grpc::ByteBuffer bytes;
  std::unique_ptr<google::protobuf::Message> scratch = request.NewScratch();
  absl::BitGen random;
  if (absl::Status status =
          request.Render(seq, absl::Uniform<uint64_t>(random), scratch.get(), &bytes);
      !status.ok()) {
    return status;
  }
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!Authorization().empty()) context.AddMetadata("authorization", Authorization());
  grpc::ByteBuffer response;
  grpc::Status status;
  auto reader = stub.PrepareUnaryCall(&context, method.path, bytes, &cq);
  reader->StartCall();
  reader->Finish(&response, &status, &status);
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// Loads `method` with `concurrency` calls in flight for warmup + duration.
// INVALID_ARGUMENT if a substituted request does not parse.
absl::StatusOr<RunResult> RunLoad(const std::vector<const Method*>& methods,
                                  const std::vector<const RequestTemplate*>& requests,
                                  const std::vector<std::unique_ptr<grpc::GenericStub>>& stubs,
                                  std::atomic<uint64_t>* seq, int concurrency, int threads,
                                  absl::Duration warmup, absl::Duration duration,
                                  absl::Duration call_timeout, int server_pid) {
  threads = std::min(threads, concurrency);
  RunContext ctx;
  ctx.methods = methods;
  ctx.requests = requests;
  ctx.stubs = &stubs;
  ctx.seq = seq;
  ctx.call_timeout = call_timeout;
  ctx.threads = threads;
  ctx.measure_start = NowNanos() + absl::ToInt64Nanoseconds(warmup);
  ctx.measure_end = ctx.measure_start + absl::ToInt64Nanoseconds(duration);

  std::vector<RunStats> stats(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    // Worker i drives slots i, i + threads, ...: concurrency split evenly.
    const int slots = concurrency / threads + (i < concurrency % threads ? 1 : 0);
    workers.emplace_back([&ctx, &stats, i, slots] { RunWorker(ctx, i, slots, &stats[i]); });
  }
  // Reads the CPU clocks at the edges of the measured window.
  absl::Duration client_cpu, server_cpu;
  std::thread sampler([&ctx, &client_cpu, &server_cpu, server_pid] {
    const auto at = [](int64_t nanos) {
      return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(nanos));
    };
    std::this_thread::sleep_until(at(ctx.measure_start));
    client_cpu = -OwnCpu();
    if (server_pid > 0) server_cpu = -ProcessCpu(server_pid);
    std::this_thread::sleep_until(at(ctx.measure_end));
    client_cpu += OwnCpu();
    if (server_pid > 0) server_cpu += ProcessCpu(server_pid);
  });
  for (auto& worker : workers) worker.join();
  sampler.join();
  if (ctx.failed.load()) return ctx.error;

  RunResult result;
  for (const Method* m : methods) {
    absl::StrAppend(&result.method, result.method.empty() ? "" : " then ", m->name);
  }
  result.measured = duration;
  for (const auto& s : stats) result.stats.Merge(s);
  result.client_cpu = client_cpu;
  if (server_pid > 0) result.server_cpu = server_cpu;
  return result;
}

std::string Millis(uint64_t nanos) { return absl::StrFormat("%.3f", nanos / 1e6); }

std::string CodeCounts(const RunStats& stats, absl::string_view separator,
                       absl::string_view format) {
  std::vector<std::string> parts;
  for (int code = 0; code < kStatusCodeCount; ++code) {
    if (stats.codes[code] == 0) continue;
    parts.push_back(absl::StrReplaceAll(
        format, {{"NAME", CodeName(code)}, {"COUNT", absl::StrCat(stats.codes[code])}}));
  }
  return absl::StrJoin(parts, separator);
}

void PrintRun(absl::string_view role, const RunResult& run) {
  const auto& latency = run.stats.latency;
  absl::PrintF("%-8s %s\n", role, run.method);
  absl::PrintF("  requests/s  %.1f (OK %.1f/s)\n", run.rps(), run.ok_rps());
  absl::PrintF("  calls       %d: %s\n", run.calls(), CodeCounts(run.stats, " ", "NAME=COUNT"));
  absl::PrintF("  latency ms  p50=%s p90=%s p99=%s p99.9=%s max=%s\n",
               Millis(latency.Quantile(0.5)), Millis(latency.Quantile(0.9)),
               Millis(latency.Quantile(0.99)), Millis(latency.Quantile(0.999)),
               Millis(latency.max()));
  absl::PrintF("  cpu us/call client=%.1f", run.CpuPerCall(run.client_cpu));
  if (run.server_cpu.has_value()) absl::PrintF(" server=%.1f", run.CpuPerCall(*run.server_cpu));
  absl::PrintF("\n");
  if (run.ok() < run.calls()) {
    std::fprintf(stderr, "rapport_load: warning: %llu of %llu calls to %s failed\n",
                 static_cast<unsigned long long>(run.calls() - run.ok()),
                 static_cast<unsigned long long>(run.calls()), run.method.c_str());
  }
}

std::string RunJson(const RunResult& run) {
  const auto& latency = run.stats.latency;
  // Method names are identifiers and dots: nothing to escape.
  return absl::StrFormat(
      R"({"method":"%s","calls":%d,"ok":%d,"rps":%.1f,"ok_rps":%.1f,)"
      R"("latency_ms":{"p50":%s,"p90":%s,"p99":%s,"p999":%s,"max":%s},"codes":{%s},)"
      R"("cpu_us_per_call":{"client":%.2f,"server":%s}})",
      run.method, run.calls(), run.ok(), run.rps(), run.ok_rps(), Millis(latency.Quantile(0.5)),
      Millis(latency.Quantile(0.9)), Millis(latency.Quantile(0.99)),
      Millis(latency.Quantile(0.999)), Millis(latency.max()),
      CodeCounts(run.stats, ",", "\"NAME\":COUNT"), run.CpuPerCall(run.client_cpu),
      run.server_cpu.has_value() ? absl::StrFormat("%.2f", run.CpuPerCall(*run.server_cpu))
                                 : "null");
}

int Usage(absl::string_view message) {
  std::fprintf(stderr, "rapport_load: %.*s\n", static_cast<int>(message.size()), message.data());
  return kExitUsage;
}

// A method with its request, ready to run.
struct Target {
  Method method;
  std::unique_ptr<RequestTemplate> request;
};

// The steps of --then, one per non-empty line: "pkg.Service/Method {json}".
absl::StatusOr<std::vector<Target>> ParseThen(absl::string_view text);

// Resolves `name`, given by --`method_flag`, and checks `json`, its request
// given by --`request_flag`. The error names the flag at fault.
absl::StatusOr<Target> MakeTarget(absl::string_view method_flag, absl::string_view name,
                                  absl::string_view request_flag, absl::string_view json) {
  auto method = FindMethod(name);
  if (!method.ok()) {
    return absl::Status(method.status().code(),
                        absl::StrCat("--", method_flag, ": ", method.status().message()));
  }
  auto request = RequestTemplate::Create(method->descriptor->input_type(), json);
  if (!request.ok()) {
    return absl::Status(request.status().code(),
                        absl::StrCat("--", request_flag, ": ", request.status().message()));
  }
  if ((*request)->parses_per_call()) {
    std::fprintf(stderr,
                 "rapport_load: note: --%s is parsed from JSON on every call (a placeholder "
                 "sits where the fast path cannot set it); the client uses more CPU\n",
                 std::string(request_flag).c_str());
  }
  return Target{*std::move(method), *std::move(request)};
}

absl::StatusOr<std::vector<Target>> ParseThen(absl::string_view text) {
  std::vector<Target> steps;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    const size_t space = line.find(' ');
    const absl::string_view name = line.substr(0, space);
    const absl::string_view json =
        space == absl::string_view::npos ? "{}" : absl::StripAsciiWhitespace(line.substr(space));
    auto step = MakeTarget("then", name, "then", json);
    if (!step.ok()) return step.status();
    steps.push_back(*std::move(step));
  }
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Closed-loop load generator for rapportd: runs a baseline method, then the target "
      "method, under the same load and prints their rates, latencies and ratio.\n"
      "Usage: rapport_load --server=HOST:PORT --method=pkg.Service/Method [--request=JSON] "
      "[--concurrency=64] [--duration=10s] [--warmup=1s] [--baseline_method=...] "
      "[--then=...] [--connections=2] [--rounds=1] [--min_ratio=X] [--json]\n"
      "       rapport_load --server=HOST:PORT --method=pkg.Service/Method --request=JSON --once");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  // As in rapportd: Debian's Abseil checks every lock for deadlock cycles,
  // a graph update per gRPC lock that the load would charge to the machine.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (positional.size() > 1) return Usage(absl::StrCat("unexpected argument ", positional[1]));

  const std::string server = absl::GetFlag(FLAGS_server);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int connections = absl::GetFlag(FLAGS_connections);
  const int threads = absl::GetFlag(FLAGS_threads);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration call_timeout = absl::GetFlag(FLAGS_call_timeout);
  const double min_ratio = absl::GetFlag(FLAGS_min_ratio);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const std::string baseline_name = absl::GetFlag(FLAGS_baseline_method);
  if (absl::GetFlag(FLAGS_method).empty()) return Usage("--method is required");
  if (concurrency < 1) return Usage("--concurrency must be at least 1");
  if (connections < 1) return Usage("--connections must be at least 1");
  if (threads < 1) return Usage("--threads must be at least 1");
  if (duration <= absl::ZeroDuration()) return Usage("--duration must be positive");
  if (rounds < 1) return Usage("--rounds must be at least 1");
  if (warmup < absl::ZeroDuration()) return Usage("--warmup must not be negative");
  if (call_timeout <= absl::ZeroDuration()) return Usage("--call_timeout must be positive");
  if (min_ratio > 0 && baseline_name.empty()) {
    return Usage("--min_ratio needs a --baseline_method");
  }
  const bool once = absl::GetFlag(FLAGS_once);
  if (once && (!absl::GetFlag(FLAGS_then).empty() || min_ratio > 0 || rounds > 1 ||
               absl::GetFlag(FLAGS_json))) {
    return Usage("--once makes one call of --method: no --then, --min_ratio, --rounds or --json");
  }

  auto target =
      MakeTarget("method", absl::GetFlag(FLAGS_method), "request", absl::GetFlag(FLAGS_request));
  if (!target.ok()) return Usage(target.status().message());
  auto parsed_then = ParseThen(absl::GetFlag(FLAGS_then));
  if (!parsed_then.ok()) return Usage(parsed_then.status().message());
  const std::vector<Target> then = *std::move(parsed_then);
  std::optional<Target> baseline;
  if (!baseline_name.empty()) {
    auto made = MakeTarget("baseline_method", baseline_name, "baseline_request",
                           absl::GetFlag(FLAGS_baseline_request));
    if (!made.ok()) return Usage(made.status().message());
    baseline = *std::move(made);
  }

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  const auto connect_deadline =
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_connect_timeout));
  for (int i = 0; i < (once ? 1 : connections); ++i) {
    // Channels with equal arguments would share one subchannel, hence one TCP
    // connection: make each channel's arguments, and subchannel pool, its own.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_CHANNEL_ID, i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(connect_deadline)) {
      return Usage(absl::StrCat("cannot connect to ", server, " within ",
                                absl::FormatDuration(absl::GetFlag(FLAGS_connect_timeout)),
                                ": is rapportd running there?"));
    }
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
    channels.push_back(std::move(channel));
  }

  if (once) {
    auto called = CallOnce(*stubs.front(), target->method, *target->request,
                           absl::GetFlag(FLAGS_seq_start), call_timeout);
    if (!called.ok()) return Usage(absl::StrCat("--request: ", called.status().message()));
    const grpc::Status& status = *called;
    if (!status.ok()) {
      std::fprintf(stderr, "rapport_load: %s failed: %s: %s\n", target->method.name.c_str(),
                   CodeName(status.error_code()).c_str(), status.error_message().c_str());
      return kExitCallFailed;
    }
    absl::PrintF("%s OK\n", target->method.name);
    return 0;
  }

  absl::PrintF(
      "rapport_load: server=%s concurrency=%d connections=%d threads=%d warmup=%s "
      "duration=%s\n",
      server, concurrency, connections, std::min(threads, concurrency),
      absl::FormatDuration(warmup), absl::FormatDuration(duration));
  std::fflush(stdout);
  std::atomic<uint64_t> seq{absl::GetFlag(FLAGS_seq_start)};
  // Runs `t`, then the --then steps if `cycle`.
  const auto run = [&](const Target& t, bool cycle) {
    std::vector<const Method*> methods = {&t.method};
    std::vector<const RequestTemplate*> requests = {t.request.get()};
    for (size_t i = 0; cycle && i < then.size(); ++i) {
      methods.push_back(&then[i].method);
      requests.push_back(then[i].request.get());
    }
    return RunLoad(methods, requests, stubs, &seq, concurrency, threads, warmup, duration,
                   call_timeout, absl::GetFlag(FLAGS_server_pid));
  };

  // Adds one more measurement of a method to its total.
  const auto accumulate = [](std::optional<RunResult>* total, RunResult run) {
    if (!total->has_value()) {
      *total = std::move(run);
      return;
    }
    (*total)->measured += run.measured;
    (*total)->stats.Merge(run.stats);
    (*total)->client_cpu += run.client_cpu;
    if ((*total)->server_cpu.has_value() && run.server_cpu.has_value()) {
      *(*total)->server_cpu += *run.server_cpu;
    }
  };
  std::optional<RunResult> baseline_result;
  std::optional<RunResult> target_result;
  for (int round = 0; round < rounds; ++round) {
    std::optional<RunResult> baseline_round, target_round;
    // ABBA order: drift of the machine's speed weighs on both methods alike.
    const bool baseline_first = round % 2 == 0;
    for (int turn = 0; turn < 2; ++turn) {
      const bool is_baseline = (turn == 0) == baseline_first;
      if (is_baseline && !baseline.has_value()) continue;
      auto result = is_baseline ? run(*baseline, false) : run(*target, true);
      if (!result.ok()) {
        return Usage(absl::StrCat(is_baseline ? "--baseline_request: " : "--request: ",
                                  result.status().message()));
      }
      (is_baseline ? baseline_round : target_round) = *std::move(result);
    }
    if (rounds > 1) {
      absl::PrintF("round %d: target %.1f OK/s", round + 1, target_round->ok_rps());
      if (baseline_round.has_value() && baseline_round->ok() > 0) {
        absl::PrintF(", baseline %.1f OK/s, ratio %.3f", baseline_round->ok_rps(),
                     target_round->ok_rps() / baseline_round->ok_rps());
      }
      absl::PrintF("\n");
      std::fflush(stdout);
    }
    if (baseline_round.has_value()) accumulate(&baseline_result, *std::move(baseline_round));
    accumulate(&target_result, *std::move(target_round));
  }
  if (baseline_result.has_value()) PrintRun("baseline", *baseline_result);
  PrintRun("target", *target_result);

  std::optional<double> ratio;
  if (baseline_result.has_value() && baseline_result->ok() > 0) {
    ratio = target_result->ok_rps() / baseline_result->ok_rps();
    absl::PrintF("ratio    %.3f (target OK/s %.1f / baseline OK/s %.1f)\n", *ratio,
                 target_result->ok_rps(), baseline_result->ok_rps());
  } else if (baseline_result.has_value()) {
    absl::PrintF("ratio    n/a: no baseline call succeeded\n");
  }
  // Where the rate ratio is lower than this one, the machine idled more
  // under the target's load than under the baseline's.
  std::optional<double> cpu_ratio;
  if (baseline_result.has_value() && baseline_result->TotalCpuPerCall().value_or(0) > 0 &&
      target_result->TotalCpuPerCall().value_or(0) > 0) {
    cpu_ratio = *baseline_result->TotalCpuPerCall() / *target_result->TotalCpuPerCall();
    absl::PrintF("cpu      %.3f (client+server CPU per baseline call %.1f us / per target call %.1f us)\n",
                 *cpu_ratio, *baseline_result->TotalCpuPerCall(), *target_result->TotalCpuPerCall());
  }
  if (absl::GetFlag(FLAGS_json)) {
    const auto number = [](std::optional<double> x) {
      return x.has_value() ? absl::StrFormat("%.4f", *x) : std::string("null");
    };
    absl::PrintF(
        R"({"server":"%s","concurrency":%d,"connections":%d,"duration_s":%g,"baseline":%s,)"
        R"("target":%s,"ratio":%s,"cpu_ratio":%s})"
        "\n",
        server, concurrency, connections, absl::ToDoubleSeconds(duration),
        baseline_result.has_value() ? RunJson(*baseline_result) : "null", RunJson(*target_result),
        number(ratio), number(cpu_ratio));
  }
  std::fflush(stdout);

  if (min_ratio > 0) {
    if (!ratio.has_value()) return Usage("no baseline call succeeded: cannot check --min_ratio");
    if (*ratio < min_ratio) {
      std::fprintf(stderr, "rapport_load: ratio %.3f is below --min_ratio=%g\n", *ratio, min_ratio);
      return kExitBelowRatio;
    }
  }
  return 0;
}
