#include "storage/store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/logging.h"
#include "storage/status_macros.h"

namespace rapport::storage {
namespace {

constexpr absl::string_view kConflictPayloadUrl = "rapport.storage/write-conflict";
// A safety net: retries go to the front of the commit queue, so k concurrent
// writers of one key need at most k attempts each.
constexpr int kMaxTransactAttempts = 1000;

absl::Status WriteConflictError() {
  absl::Status status = absl::AbortedError("the record changed concurrently; retry");
  status.SetPayload(kConflictPayloadUrl, absl::Cord("1"));
  return status;
}

// The one place RocksDB statuses become absl::Status. RocksDB's own text goes
// to the log, never to a client: the returned message names only `what`.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  LogError(absl::StrCat("store: ", what, ": ", s.ToString()));
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": store corruption"));
  if (s.IsBusy() || s.IsTryAgain()) {
    return absl::AbortedError(absl::StrCat(what, ": store busy; retry"));
  }
  if (s.IsTimedOut()) return absl::UnavailableError(absl::StrCat(what, ": store timed out"));
  return absl::InternalError(absl::StrCat(what, ": store error"));
}

// Turns RocksDB's per-thread perf context off on this thread, once. It
// counts by default (kEnableCount): every memtable insert and lookup then
// also bumps thread-local counters that nothing here reads.
void NoPerfCounters() {
  thread_local const bool off = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  (void)off;
}

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// Counters: rows of int64 cells, added cell to cell (AddCounterCells). The
// name predates rows of more than one cell; a one-cell row adds as it always
// did, so stores written before keep merging the same way.
class CounterAddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    if (existing_value == nullptr) {
      if (!CounterCellCount(ToView(value))) return false;
      new_value->assign(value.data(), value.size());
      return true;
    }
    new_value->assign(existing_value->data(), existing_value->size());
    return AddCounterCells(new_value, ToView(value));
  }
  const char* Name() const override { return "rapport.Int64Add"; }
};


// What the committer's write-conflict bookkeeping knows a key by. Two keys
// with the same hash only make a check more careful than it need be (a batch
// waits for the next group, a transaction runs again), never less.
KeyHash HashOfKey(Cf cf, absl::string_view key) { return absl::HashOf(static_cast<int>(cf), key); }

// A key of one column family, as one string: the family's number, then the key.
std::string CfKey(Cf cf, absl::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  out.push_back(static_cast<char>(cf));
  out.append(key.data(), key.size());
  return out;
}

// The one RocksDB write of a commit group, handed to RocksDB in key order.
//
// Ordered: RocksDB's memtable is a skiplist that remembers where its last
// insert went, so an insert next to the previous one is cheap and one at a
// random place walks down from the top, a cache miss per level. A group's
// batches interleave keys of different indexes (a response's record, its
// index entries by time, by survey and by respondent, its counters, its
// audit entry), so in arrival order almost every insert was a random one.
// Sorted, each index's new keys arrive side by side. The order of the
// operations on one key is kept (a stable sort), and the group is written
// atomically, so no reader can tell the difference.
//
// Last write wins: of one key's writes only the last put or delete goes in
// (a change log's position key, rewritten by every append, once per group).
//
// Summed: the counter additions to one key after its last put or delete (or
// all of them, when it has none) become a single merge operand. In a busy group most answers,
// tickets and interactions add to the same few current-day counters, and
// every operand would otherwise be its own memtable entry, and work for every
// later read of the counter until compaction folds them.
class GroupWrite {
 public:
  // `ops` and `bytes`: about how many writes of how many bytes the group
  // holds, so that neither the entries nor the batch grow by copying. Keys
  // and values are views: of the group's batches, which outlive the write,
  // or of what Keep() holds.
  GroupWrite(const std::vector<rocksdb::ColumnFamilyHandle*>& handles, size_t ops, size_t bytes)
      : handles_(handles), write_(bytes + 16 * ops + 64) {
    entries_.reserve(ops);
  }

  void Put(Cf cf, absl::string_view key, absl::string_view value) {
    entries_.push_back({cf, Kind::kPut, key, value});
  }
  void Delete(Cf cf, absl::string_view key) { entries_.push_back({cf, Kind::kDelete, key, {}}); }
  // `delta` is an encoded counter row. Sums wrap like the merge operator's.
  void Add(Cf cf, absl::string_view key, absl::string_view delta) {
    entries_.push_back({cf, Kind::kAdd, key, delta});
  }
  // Holds `bytes` made for this write (a log entry's key) until it is done.
  absl::string_view Keep(std::string bytes) { return kept_.emplace_back(std::move(bytes)); }
  // The batch to write, in key order, each key once (see above); call once.
  rocksdb::WriteBatch* Finish() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.cf != b.cf ? a.cf < b.cf : a.key < b.key;
    });
    std::string sum;
    for (size_t begin = 0, end = 0; begin < entries_.size(); begin = end) {
      const Entry& first = entries_[begin];
      end = begin + 1;
      while (end < entries_.size() && entries_[end].cf == first.cf && entries_[end].key == first.key) {
        ++end;
      }
      size_t adds = begin;  // The additions that count start here.
      for (size_t i = begin; i < end; ++i) {
        if (entries_[i].kind != Kind::kAdd) adds = i;
      }
      const Entry& base = entries_[adds];
      if (base.kind == Kind::kPut) {
        write_.Put(handle(base.cf), ToSlice(base.key), ToSlice(base.value));
        ++adds;
      } else if (base.kind == Kind::kDelete) {
        write_.Delete(handle(base.cf), ToSlice(base.key));
        ++adds;
      }
      if (adds == end) continue;
      // WriteBatch makes every row, so they are well formed.
      sum.assign(entries_[adds].value.data(), entries_[adds].value.size());
      for (size_t i = adds + 1; i < end; ++i) AddCounterCells(&sum, entries_[i].value);
      write_.Merge(handle(base.cf), ToSlice(base.key), ToSlice(sum));
    }
    entries_.clear();
    return &write_;
  }
  bool empty() const { return entries_.empty(); }

 private:
  enum class Kind { kPut, kDelete, kAdd };
  struct Entry {
    Cf cf;
    Kind kind;
    absl::string_view key;
    absl::string_view value;
  };
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_[static_cast<size_t>(cf)]; }

  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
  std::vector<Entry> entries_;
  std::deque<std::string> kept_;
  rocksdb::WriteBatch write_;
};

}  // namespace

// ---------------------------------------------------------------- WriteBatch

WriteBatch::Piece WriteBatch::Append(absl::string_view bytes) {
  if (data_.empty()) data_.reserve(512);
  Piece piece{static_cast<uint32_t>(data_.size()), static_cast<uint32_t>(bytes.size())};
  const char* const base = data_.data();
  // std::less: a total order even for pointers into different objects.
  const std::less<const char*> before;
  if (!before(bytes.data(), base) && before(bytes.data(), base + data_.size())) {
    // A view into data_ itself, which may move as it grows: append by offset.
    const size_t from = static_cast<size_t>(bytes.data() - base);
    data_.append(data_, from, bytes.size());
  } else {
    data_.append(bytes.data(), bytes.size());
  }
  return piece;
}

WriteBatch::Op& WriteBatch::Add(OpType type, Cf cf, absl::string_view key) {
  const Piece key_piece = Append(key);
  // Most batches of a request hold a handful of writes: one allocation, not
  // one per doubling.
  if (ops_.empty()) ops_.reserve(8);
  Op& op = ops_.emplace_back();
  op.type = type;
  op.cf = cf;
  op.key = key_piece;
  op.value = Piece{static_cast<uint32_t>(data_.size()), 0};
  bytes_ += key.size();
  return op;
}

void WriteBatch::Put(Cf cf, absl::string_view key, absl::string_view value) {
  Op& op = Add(OpType::kPut, cf, key);
  op.value = Append(value);
  bytes_ += value.size();
}

void WriteBatch::PutProto(Cf cf, absl::string_view key,
                          const google::protobuf::MessageLite& message) {
  Op& op = Add(OpType::kPut, cf, key);
  // Serialized straight into the batch's bytes.
  message.AppendToString(&data_);
  op.value.size = static_cast<uint32_t>(data_.size() - op.value.begin);
  bytes_ += op.value.size;
}

void WriteBatch::Delete(Cf cf, absl::string_view key) { Add(OpType::kDelete, cf, key); }

void WriteBatch::AddCounter(Cf cf, absl::string_view key, int64_t delta) {
  AddCounterCell(cf, key, 0, delta);
}

void WriteBatch::AddCounterCell(Cf cf, absl::string_view key, size_t cell, int64_t delta) {
  Op& op = Add(OpType::kAdd, cf, key);
  AppendCounterCell(&data_, cell, delta);
  op.value.size = static_cast<uint32_t>(data_.size() - op.value.begin);
  bytes_ += op.value.size;
}

void WriteBatch::AppendToLog(Cf cf, absl::string_view last_key, absl::string_view entry_prefix,
                             absl::string_view value) {
  Op& op = Add(OpType::kAppend, cf, last_key);
  op.value = Append(value);
  op.entry_prefix = Append(entry_prefix);
  bytes_ += entry_prefix.size() + 16 + value.size();
}

void WriteBatch::ExpectValue(Cf cf, absl::string_view key, std::optional<std::string> value) {
  preconditions_.push_back({cf, std::string(key), std::move(value), std::nullopt});
}

void WriteBatch::Schedule(absl::Time due, absl::string_view kind, absl::string_view key,
                          absl::string_view payload) {
  Put(Cf::kSchedule, EncodeScheduleKey({due, std::string(kind), std::string(key)}), payload);
}

void WriteBatch::Unschedule(absl::Time due, absl::string_view kind, absl::string_view key) {
  Delete(Cf::kSchedule, EncodeScheduleKey({due, std::string(kind), std::string(key)}));
}

bool IsWriteConflict(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kConflictPayloadUrl).has_value();
}

// ----------------------------------------------------------------------- Txn

Txn::Txn(Store* store) : store_(store), read_after_(store->visible_commit()) {}

absl::StatusOr<std::optional<absl::string_view>> Txn::Read(Cf cf, absl::string_view key) {
  // Read your own writes: the latest put or delete of this key in the batch.
  for (auto it = batch_.ops_.rbegin(); it != batch_.ops_.rend(); ++it) {
    if (it->cf != cf || batch_.View(it->key) != key) continue;
    if (it->type == WriteBatch::OpType::kPut) return batch_.View(it->value);
    if (it->type == WriteBatch::OpType::kDelete) return std::nullopt;
    return absl::FailedPreconditionError("a counter cannot be read back within its transaction");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(cf, key));
  // The value read is kept once, in its precondition.
  batch_.ExpectValue(cf, key, std::move(value));
  batch_.preconditions_.back().read_after = read_after_;
  const std::optional<std::string>& kept = batch_.preconditions_.back().value;
  if (!kept) return std::nullopt;
  return absl::string_view(*kept);
}

absl::StatusOr<std::optional<std::string>> Txn::Get(Cf cf, absl::string_view key) {
  ASSIGN_OR_RETURN(std::optional<absl::string_view> value, Read(cf, key));
  if (!value) return std::nullopt;
  return std::string(*value);
}

absl::StatusOr<bool> Txn::GetProto(Cf cf, absl::string_view key,
                                   google::protobuf::MessageLite* message) {
  ASSIGN_OR_RETURN(std::optional<absl::string_view> value, Read(cf, key));
  if (!value) return false;
  if (!message->ParseFromArray(value->data(), static_cast<int>(value->size()))) {
    return absl::DataLossError(absl::StrCat("record in ", CfName(cf), " does not parse"));
  }
  return true;
}

// --------------------------------------------------------------------- Store

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data dir ", options.data_dir, ": ", ec.message()));
  }
  // Our own lock, taken before RocksDB's, so a second rapportd gets a clear
  // message instead of RocksDB's IO error.
  const std::string lock_path = options.data_dir + "/rapportd.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "data dir ", options.data_dir, " is in use by another rapportd",
        n > 0 ? absl::StrCat(" (pid ", absl::string_view(pid, static_cast<size_t>(n)), ")") : "",
        "; stop it or choose another --data_dir"));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    LogWarning(absl::StrCat("cannot write pid to ", lock_path));
  }

  std::unique_ptr<Store> store(new Store(options, fd));
  RETURN_IF_ERROR(store->OpenDb());
  RETURN_IF_ERROR(store->CheckSchema());
  // Named, so that `top -H` and profilers tell them apart (15 characters at most).
  store->completer_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "rapport-answer");
    s->CompleteLoop();
  });
  store->committer_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "rapport-commit");
    s->CommitLoop();
  });
  return store;
}

Store::Store(StoreOptions options, int lock_fd) : options_(std::move(options)), lock_fd_(lock_fd) {}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_stop_ = true;
  }
  done_cv_.notify_all();
  if (completer_.joinable()) completer_.join();
  if (db_ != nullptr) {
    for (auto* handle : handles_) {
      if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
    }
    const rocksdb::Status s = db_->Close();
    if (!s.ok()) LogError(absl::StrCat("store: close: ", s.ToString()));
    delete db_;
  }
  ::flock(lock_fd_, LOCK_UN);
  ::close(lock_fd_);
}

absl::Status Store::OpenDb() {
  // Memtables are charged to the block cache (below), so it holds both: sized
  // for blocks alone, full memtables would leave no room for blocks and every
  // read of a table would fetch and decompress its block again.
  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes + options_.memtable_bytes);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  if (options_.row_cache_bytes > 0) db_options.row_cache = rocksdb::NewLRUCache(options_.row_cache_bytes);
  db_options.max_total_wal_size = 256 << 20;
  // No WAL recycling (recycle_log_file_num): RocksDB 7.8 turns it off by
  // itself under the default wal_recovery_mode, kPointInTimeRecovery, which
  // stops replay at a torn tail without skipping corrupt records in between.

  db_options.keep_log_file_num = 5;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // All memtables together stay under memtable_bytes, charged to the cache.
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options_.memtable_bytes, cache);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Partitioned index and filters: a big table's index is a small top level
  // (pinned) over 4 KiB partitions cached like data blocks. A monolithic
  // index block of a large table (1.6 MB at a million tickets) does not fit
  // in one shard of the block cache, so every read that needed it read and
  // decompressed it again.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.format_version = 5;
  auto table_factory = std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(table));
  auto merge = std::make_shared<CounterAddOperator>();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory = table_factory;
    cf.merge_operator = merge;
    cf.write_buffer_size = 16 << 20;
    cf.compression = rocksdb::kLZ4Compression;
    cf.bottommost_compression = rocksdb::kZSTD;
    cf.level_compaction_dynamic_level_bytes = true;
    // A whole-key bloom filter on each memtable: most point reads (an id not
    // taken yet, a request id never seen, a write's precondition on an absent
    // key) look for keys that are not there.
    cf.memtable_prefix_bloom_size_ratio = 0.05;
    cf.memtable_whole_key_filtering = true;
    if (static_cast<Cf>(i) == Cf::kSchedule) {
      // Fired entries leave tombstones at the head of the schedule; compact
      // files that fill with them so the next scan from the head stays cheap.
      cf.table_properties_collector_factories.emplace_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(/*window=*/256, /*trigger=*/64));
    }
    descriptors.emplace_back(std::string(CfName(static_cast<Cf>(i))), cf);
  }
  // Column families that exist on disk but that this build does not declare
  // (a newer rapportd wrote them) must still be opened; the schema check
  // refuses such a directory right after.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options_.data_dir, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = false;
      for (const auto& d : descriptors) known = known || d.name == name;
      if (!known) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options_.data_dir, descriptors,
                                              &handles, &db_),
                            absl::StrCat("open ", options_.data_dir)));
  handles_.assign(handles.begin(), handles.begin() + kCfCount);
  for (size_t i = kCfCount; i < handles.size(); ++i) db_->DestroyColumnFamilyHandle(handles[i]);
  return absl::OkStatus();
}

absl::Status Store::CheckSchema() {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(Cf::kMeta, kMetaSchemaVersionKey));
  if (stored) {
    absl::string_view in = *stored;
    auto version = ConsumeUint32(&in);
    if (!version || !in.empty()) {
      return absl::DataLossError(
          absl::StrCat("data dir ", options_.data_dir, " has an unreadable schema version"));
    }
    if (*version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", options_.data_dir, " has schema version ", *version,
          ", newer than this rapportd supports (", kSchemaVersion, "); upgrade rapportd"));
    }
    if (*version == kSchemaVersion) return absl::OkStatus();
    // Each migration is idempotent and leaves the version alone, so a crash
    // in one runs it again at the next start.
    if (*version < 2) {
      RETURN_IF_ERROR(MoveCountersIntoRows(satkeys::kTallyPrefix, &satkeys::DecodeLegacyTally,
                                           "satisfaction counters"));
    }
    if (*version < 3) {
      RETURN_IF_ERROR(MoveCountersIntoRows(ticketkeys::kCompletionPrefix,
                                           &ticketkeys::DecodeLegacyCompletion,
                                           "SLA completion counters"));
    }
  }
  // A new store, or an older schema now migrated.
  std::string value;
  AppendUint32(&value, kSchemaVersion);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // Also makes every migration write before it durable.
  return FromRocks(db_->Put(write_options, Handle(Cf::kMeta), ToSlice(kMetaSchemaVersionKey),
                            ToSlice(value)),
                   "write schema version");
}

absl::Status Store::MoveCountersIntoRows(
    absl::string_view prefix,
    std::optional<LegacyCounterCell> (*legacy_cell)(absl::string_view key),
    absl::string_view what) {
  // Chunks of legacy keys, each moved in one atomic write (the old keys
  // deleted, their counts merged into the rows), so the counts are never
  // doubled or lost whenever a crash comes.
  constexpr size_t kChunk = 8192;
  const std::string upper = PrefixSuccessor(prefix);
  const rocksdb::Slice upper_slice(upper);
  std::string resume(prefix);
  size_t moved = 0;
  const absl::Time started = absl::Now();
  for (;;) {
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Handle(Cf::kAggregates)));
    rocksdb::WriteBatch batch;
    size_t n = 0;
    for (it->Seek(ToSlice(resume)); it->Valid() && n < kChunk; it->Next()) {
      auto legacy = legacy_cell(ToView(it->key()));
      if (!legacy) continue;  // A row already.
      auto count = DecodeCounter(ToView(it->value()));
      if (!count) {
        return absl::DataLossError(
            absl::StrCat("a counter under \"", prefix, "\" of the old schema is malformed"));
      }
      batch.Delete(Handle(Cf::kAggregates), it->key());
      batch.Merge(Handle(Cf::kAggregates), ToSlice(legacy->row),
                  ToSlice(EncodeCounterCell(legacy->cell, *count)));
      resume.assign(it->key().data(), it->key().size());
      ++n;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan counters to migrate"));
    if (n == 0) break;
    RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "migrate counters"));
    moved += n;
  }
  if (moved == 0) return absl::OkStatus();
  // Fold the rows' operands and drop the old keys' tombstones now, rather
  // than have every scan of the counters step over them until compaction
  // gets there.
  const rocksdb::Slice begin(prefix.data(), prefix.size());
  RETURN_IF_ERROR(FromRocks(db_->CompactRange(rocksdb::CompactRangeOptions(),
                                              Handle(Cf::kAggregates), &begin, &upper_slice),
                            "compact migrated counters"));
  LogInfo(absl::StrCat("upgrade to schema ", kSchemaVersion, ": moved ", moved, " ", what,
                       " into rows in ", absl::FormatDuration(absl::Now() - started)));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Store::Get(Cf cf, absl::string_view key) const {
  NoPerfCounters();
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Handle(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("read ", CfName(cf))));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<bool> Store::GetProto(Cf cf, absl::string_view key,
                                     google::protobuf::MessageLite* message) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf, key));
  if (!value) return false;
  if (!message->ParseFromString(*value)) {
    return absl::DataLossError(absl::StrCat("record in ", CfName(cf), " does not parse"));
  }
  return true;
}

absl::StatusOr<int64_t> Store::GetCounter(Cf cf, absl::string_view key) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf, key));
  if (!value) return 0;
  auto decoded = DecodeCounter(*value);
  if (!decoded) return absl::DataLossError(absl::StrCat("counter in ", CfName(cf), " is malformed"));
  return *decoded;
}

absl::Status Store::ForEach(
    Cf cf, const ScanOptions& options,
    const std::function<bool(absl::string_view key, absl::string_view value)>& visit) const {
  NoPerfCounters();
  // Effective bounds: the prefix's range intersected with [lower, upper).
  std::string lower = options.prefix;
  if (options.lower > lower) lower = options.lower;
  std::string upper = PrefixSuccessor(options.prefix);
  if (!options.upper.empty() && (upper.empty() || options.upper < upper)) upper = options.upper;

  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Handle(cf)));
  if (!options.start_after.empty() && options.start_after >= lower) {
    it->Seek(ToSlice(options.start_after));
    if (it->Valid() && ToView(it->key()) == options.start_after) it->Next();
  } else {
    it->Seek(ToSlice(lower));
  }
  for (; it->Valid(); it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), absl::StrCat("scan ", CfName(cf)));
}

absl::StatusOr<ScanResult> Store::Scan(Cf cf, const ScanOptions& options) const {
  ScanResult result;
  RETURN_IF_ERROR(ForEach(cf, options, [&](absl::string_view key, absl::string_view value) {
    if (options.limit != 0 && result.entries.size() == options.limit) {
      result.more = true;
      return false;
    }
    result.entries.push_back({std::string(key), std::string(value)});
    return true;
  }));
  return result;
}

void Store::Commit(WriteBatch batch, std::function<void(absl::Status)> done) {
  Enqueue(std::move(batch), std::move(done), /*retry=*/false);
}

void Store::Enqueue(WriteBatch batch, std::function<void(absl::Status)> done, bool retry) {
  if (batch.empty() && batch.preconditions_.empty()) {
    done(absl::OkStatus());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A retry comes from the committer thread itself while it is draining,
    // so it is accepted even while closing.
    if (!closing_ || retry) {
      (retry ? retry_queue_ : queue_).push_back({std::move(batch), std::move(done)});
      done = nullptr;
    }
  }
  // Refused: answered outside the lock, since answering may enqueue again
  // (a failed call's audit entry).
  if (done) return done(absl::UnavailableError("the store is closing"));
  cv_.notify_one();
}

absl::Status Store::CommitSync(WriteBatch batch) {
  std::promise<absl::Status> promise;
  auto future = promise.get_future();
  Commit(std::move(batch), [&promise](absl::Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

void Store::CommitLoop() {
  NoPerfCounters();
  absl::flat_hash_set<KeyHash> touched;  // Every key this group writes.
  for (;;) {
    std::vector<Pending> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // While closing, stay until every caller is answered: answering may
      // queue retries.
      cv_.wait(lock, [this] {
        return !queue_.empty() || !retry_queue_.empty() || (closing_ && completions_pending_ == 0);
      });
      if (queue_.empty() && retry_queue_.empty()) return;  // Closing; all answered.
      for (auto* q : {&retry_queue_, &queue_}) {
        while (!q->empty() && group.size() < options_.max_group_batches) {
          group.push_back(std::move(q->front()));
          q->pop_front();
        }
      }
    }

    // Check preconditions in queue order. A batch whose precondition reads a
    // key an earlier batch of this group writes waits for the next group, so
    // that every check reads committed data.
    touched.clear();
    size_t group_ops = 0, group_bytes = 0;
    for (const Pending& p : group) {
      group_ops += p.batch.op_count();
      group_bytes += p.batch.ByteSize();
    }
    GroupWrite write(handles_, group_ops, group_bytes);
    std::vector<Pending*> accepted;
    std::vector<Answered> checked;  // Reads of transactions that wrote nothing: still current.
    std::vector<Pending*> conflicted;
    std::vector<Pending> deferred;
    std::vector<Pending*> failed;
    absl::Status check_error;
    absl::Status append_error;  // Fails the whole group: its numbering is lost.
    CommitGroupInfo info;
    for (Pending& p : group) {
      bool defer = false;
      for (const auto& pre : p.batch.preconditions_) {
        defer = defer || touched.contains(HashOfKey(pre.cf, pre.key));
      }
      if (defer) {
        deferred.push_back(std::move(p));
        continue;
      }
      bool conflict = false;
      for (const auto& pre : p.batch.preconditions_) {
        if (!StillCurrent(pre, &check_error)) {
          conflict = true;
          break;
        }
      }
      if (conflict) {
        (check_error.ok() ? conflicted : failed).push_back(&p);
        check_error = absl::OkStatus();
        continue;
      }
      if (p.batch.ops_.empty()) {
        checked.push_back({std::move(p.done), absl::OkStatus()});
        continue;
      }
      // The write refers to the batch's bytes: the group outlives it.
      const WriteBatch& batch = p.batch;
      for (const auto& op : batch.ops_) {
        const absl::string_view key = batch.View(op.key);
        touched.insert(HashOfKey(op.cf, key));
        switch (op.type) {
          case WriteBatch::OpType::kPut:
            if (op.cf == Cf::kSchedule) {
              auto decoded = DecodeScheduleKey(key);
              if (decoded && (!info.earliest_schedule || decoded->due < *info.earliest_schedule)) {
                info.earliest_schedule = decoded->due;
              }
            }
            write.Put(op.cf, key, batch.View(op.value));
            break;
          case WriteBatch::OpType::kDelete:
            write.Delete(op.cf, key);
            break;
          case WriteBatch::OpType::kAdd:
            write.Add(op.cf, key, batch.View(op.value));
            break;
          case WriteBatch::OpType::kAppend: {
            auto position = LogPosition(op.cf, CfKey(op.cf, key), key);
            if (!position.ok()) {
              append_error = position.status();
              break;
            }
            const uint64_t n = ++**position;
            std::string last;
            AppendUint64(&last, n);
            write.Put(op.cf, key, write.Keep(std::move(last)));
            std::string entry(batch.View(op.entry_prefix));
            AppendUint64(&entry, n);
            const absl::string_view entry_key = write.Keep(std::move(entry));
            touched.insert(HashOfKey(op.cf, entry_key));
            write.Put(op.cf, entry_key, batch.View(op.value));
            break;
          }
        }
      }
      info.bytes += p.batch.ByteSize();
      accepted.push_back(&p);
    }

    // Their outcome does not depend on this group's write: it does not wait
    // for it (nor for its sync), and a failed write is not theirs.
    SendAnswers(std::move(checked));

    absl::Status status = append_error;
    const bool writes = !write.empty();
    if (writes && status.ok()) {
      rocksdb::WriteOptions write_options;
      write_options.sync = options_.sync_writes;
      const absl::Time start = absl::Now();
      status = FromRocks(db_->Write(write_options, write.Finish()), "write");
      info.write_duration = absl::Now() - start;
      if (status.ok()) RememberWrites(touched);
    }
    info.batches = accepted.size();
    // Numbers given to a group that was not written are given again.
    if (!status.ok()) log_positions_.clear();

    if (!deferred.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = deferred.rbegin(); it != deferred.rend(); ++it) {
        retry_queue_.push_front(std::move(*it));
      }
    }
    info.synced = status.ok() && options_.sync_writes && writes;
    if (info.batches > 0 && status.ok()) {
      std::lock_guard<std::mutex> lock(listeners_mu_);
      for (const auto& listener : listeners_) listener(info);
    }
    std::vector<Answered> answers;
    answers.reserve(accepted.size() + conflicted.size() + failed.size());
    for (Pending* p : accepted) answers.push_back({std::move(p->done), status});
    for (Pending* p : conflicted) answers.push_back({std::move(p->done), WriteConflictError()});
    for (Pending* p : failed) {
      answers.push_back(
          {std::move(p->done), absl::InternalError("could not check a write precondition")});
    }
    SendAnswers(std::move(answers));
  }
}

void Store::SendAnswers(std::vector<Answered> answers) {
  if (answers.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++completions_pending_;
  }
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_queue_.push_back(std::move(answers));
  }
  done_cv_.notify_one();
}

bool Store::StillCurrent(const WriteBatch::Precondition& pre, absl::Status* error) {
  if (pre.read_after && *pre.read_after >= forgotten_through_) {
    auto it = last_written_.find(HashOfKey(pre.cf, pre.key));
    return it == last_written_.end() || it->second <= *pre.read_after;
  }
  auto current = Get(pre.cf, pre.key);
  if (!current.ok()) {
    *error = current.status();
    return false;
  }
  return *current == pre.value;
}

void Store::RememberWrites(const absl::flat_hash_set<KeyHash>& keys) {
  // What is remembered: the writes of the last kRememberedCommits groups, as
  // long as they touched at most kRememberedKeys keys. A transaction reads
  // and commits a few groups apart; an older one only costs its reads again.
  constexpr uint64_t kRememberedCommits = 256;
  constexpr size_t kRememberedKeys = 1 << 16;
  const uint64_t commit = visible_commit_.load(std::memory_order_relaxed) + 1;
  for (KeyHash key : keys) last_written_[key] = commit;
  const auto forget_through = [this](uint64_t through) {
    forgotten_through_ = std::max(forgotten_through_, through);
    absl::erase_if(last_written_, [this](const auto& entry) {
      return entry.second <= forgotten_through_;
    });
  };
  if (last_written_.size() > kRememberedKeys) {
    // Each pass at least halves the map or keeps only this group's keys, so
    // the cost per remembered key stays constant.
    forget_through(commit > kRememberedCommits ? commit - kRememberedCommits : 0);
    if (last_written_.size() > kRememberedKeys / 2) forget_through(commit - 1);
  }
  // Transactions that start from now on read this group's write.
  visible_commit_.store(commit, std::memory_order_release);
}

absl::StatusOr<uint64_t*> Store::LogPosition(Cf cf, const std::string& cf_last_key,
                                              absl::string_view last_key) {
  auto it = log_positions_.find(cf_last_key);
  if (it == log_positions_.end()) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored, Get(cf, last_key));
    uint64_t last = 0;
    if (stored) {
      absl::string_view in = *stored;
      auto decoded = ConsumeUint64(&in);
      if (!decoded || !in.empty()) {
        return absl::DataLossError(absl::StrCat("log position in ", CfName(cf), " is malformed"));
      }
      last = *decoded;
    }
    it = log_positions_.emplace(cf_last_key, last).first;
  }
  return &it->second;
}

void Store::CompleteLoop() {
  for (;;) {
    std::vector<Answered> answers;
    {
      std::unique_lock<std::mutex> lock(done_mu_);
      done_cv_.wait(lock, [this] { return !done_queue_.empty() || done_stop_; });
      if (done_queue_.empty()) return;
      answers = std::move(done_queue_.front());
      done_queue_.pop_front();
    }
    for (auto& answer : answers) answer.done(std::move(answer.status));
    // Only a closing committer waits for the answers (answering may queue
    // retries, which wake it themselves): waking it after every group would
    // make it wake for nothing whenever it waits for work.
    bool all_answered_while_closing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --completions_pending_;
      all_answered_while_closing = closing_ && completions_pending_ == 0;
    }
    if (all_answered_while_closing) cv_.notify_all();
  }
}

// A transaction from its first attempt to its answer; deleted once `done`
// has the outcome.
struct Store::Transaction {
  std::function<absl::Status(Txn&)> body;
  std::function<void(absl::Status)> done;
  int attempts = 0;
  // Txn::AfterCommit of the latest run.
  std::vector<std::function<void()>> effects;
};

void Store::Transact(std::function<absl::Status(Txn&)> body,
                     std::function<void(absl::Status)> done) {
  RunAttempt(new Transaction{std::move(body), std::move(done), 0, {}});
}

void Store::RunAttempt(Transaction* transaction) {
  ++transaction->attempts;
  Txn txn(this);
  absl::Status status = transaction->body(txn);
  transaction->effects = std::move(txn.effects_);
  const bool retry = transaction->attempts > 1;
  if (status.ok() && !txn.batch_.empty()) {
    // [this, transaction] fits inside the std::function: no allocation.
    Enqueue(
        std::move(txn.batch_),
        [this, transaction](absl::Status s) {
          if (IsWriteConflict(s)) return RunAgain(transaction);
          Answer(transaction, std::move(s));
        },
        retry);
    return;
  }
  // Failed, or wrote nothing. One read is consistent by itself; an outcome
  // drawn from several holds only if none of them changed before the last
  // (each read sees the latest commit, not the commit the first one saw):
  // a retry that reads "no such answer yet", then the answer's recontact
  // marker, must not report the recontact limit. The reads are checked by
  // the committer as a write's are, with nothing to write.
  if (txn.batch_.preconditions_.size() < 2) return Answer(transaction, std::move(status));
  WriteBatch reads;
  reads.preconditions_ = std::move(txn.batch_.preconditions_);
  Enqueue(
      std::move(reads),
      [this, transaction, status = std::move(status)](absl::Status s) {
        if (IsWriteConflict(s)) return RunAgain(transaction);
        Answer(transaction, s.ok() ? status : std::move(s));
      },
      retry);
}

void Store::RunAgain(Transaction* transaction) {
  if (transaction->attempts < kMaxTransactAttempts) return RunAttempt(transaction);
  Answer(transaction, absl::AbortedError("too much contention on the same record; retry later"));
}

void Store::Answer(Transaction* transaction, absl::Status status) {
  std::unique_ptr<Transaction> owned(transaction);
  if (status.ok()) {
    for (auto& effect : owned->effects) effect();
  }
  owned->done(std::move(status));
}

absl::Status Store::TransactSync(std::function<absl::Status(Txn&)> body) {
  std::promise<absl::Status> promise;
  auto future = promise.get_future();
  Transact(std::move(body), [&promise](absl::Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

absl::StatusOr<CheckpointInfo> Store::Checkpoint(const std::string& directory) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "create checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  CheckpointInfo info;
  info.directory = directory;
  // log_size_for_flush = 0: flush memtables first, so the backup is table
  // files plus an empty log.
  RETURN_IF_ERROR(FromRocks(checkpoint->CreateCheckpoint(directory, 0, &info.sequence_number),
                            absl::StrCat("checkpoint into ", directory)));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (!entry.is_regular_file()) continue;
    ++info.file_count;
    info.size_bytes += entry.file_size();
  }
  return info;
}

StoreStats Store::Stats() const {
  StoreStats stats;
  auto sum = [this](const std::string& property) {
    uint64_t total = 0;
    for (auto* handle : handles_) {
      uint64_t v = 0;
      if (db_->GetIntProperty(handle, property, &v)) total += v;
    }
    return total;
  };
  stats.live_data_bytes = sum("rocksdb.estimate-live-data-size");
  stats.sst_files_bytes = sum("rocksdb.total-sst-files-size");
  stats.pending_compaction_bytes = sum("rocksdb.estimate-pending-compaction-bytes");
  stats.memtable_bytes = sum("rocksdb.cur-size-all-mem-tables");
  stats.estimated_keys = sum("rocksdb.estimate-num-keys");
  return stats;
}

void Store::AddCommitListener(std::function<void(const CommitGroupInfo&)> listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

}  // namespace rapport::storage
