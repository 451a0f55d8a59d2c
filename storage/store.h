// storage::Store: the one owner of RocksDB. Everything above storage/ sees a
// small key/value interface — get, prefix/range scan with a resume key, an
// atomic batch of puts, deletes and counter additions, optional preconditions
// on a write — so that a later move to another engine needs no rewrite.
//
// Durability: every batch goes through one commit queue. A single committer
// thread drains all pending batches into one RocksDB write, synced to the WAL
// (group commit), then completes every waiting caller. Callers hand in a
// callback and never block on an fsync; CommitSync() is the blocking form for
// tools and tests.
//
// Concurrency: read-modify-write is optimistic. A Txn records every value it
// reads; at commit the committer checks that none of them changed and
// otherwise reports a write conflict, and Transact() reruns the body on fresh
// reads. No update is ever lost and no lock is held across an fsync. A body
// that fails or writes nothing after several reads has them checked the same
// way before its outcome is given: no outcome comes from a view that no
// commit ever left.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "storage/column_families.h"
#include "storage/key_codec.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace rapport::storage {

// The store's schema version. Bump it with a migration when a persisted
// layout changes incompatibly; a data dir with a newer version is refused.
//   1  the first.
//   2  satisfaction tallies: one counter row per slot, day and kind instead
//      of one counter per lane (satkeys in key_codec.h).
//   3  SLA completions: one counter row per scope, timer kind and day instead
//      of one counter per field (ticketkeys::CompletionRow).
inline constexpr uint32_t kSchemaVersion = 3;

struct StoreOptions {
  // Directory of the store; created if missing.
  std::string data_dir;
  // Sync the WAL before acknowledging a write. Off: faster, and a machine
  // crash (not a process crash) may lose the last acknowledged writes.
  bool sync_writes = true;
  // Shared block cache for all column families, in bytes: data, index and
  // filter blocks.
  size_t block_cache_bytes = 64 << 20;
  // Upper bound of all memtables together, in bytes. The memory is accounted
  // in the same cache, which is sized block_cache_bytes + memtable_bytes so
  // that full memtables never squeeze the blocks out.
  size_t memtable_bytes = 64 << 20;
  // Cache of single values found in table files, in bytes: a point read of a
  // hot record (a relationship the portals keep reading) skips the index,
  // filter and data blocks of the file that holds it. Table files never
  // change, so it is never stale. 0 turns it off.
  size_t row_cache_bytes = 16 << 20;
  // Most batches the committer merges into one write.
  size_t max_group_batches = 1024;
};

// A set of changes applied atomically: all or none. Also carries the
// preconditions the committer checks first. Movable, not copyable.
class WriteBatch {
 public:
  WriteBatch() = default;
  WriteBatch(WriteBatch&&) = default;
  WriteBatch& operator=(WriteBatch&&) = default;

  void Put(Cf cf, absl::string_view key, absl::string_view value);
  // Serializes `message` as the value.
  void PutProto(Cf cf, absl::string_view key, const google::protobuf::MessageLite& message);
  void Delete(Cf cf, absl::string_view key);
  // Adds `delta` to the int64 counter at `key` (absent counts as 0).
  void AddCounter(Cf cf, absl::string_view key, int64_t delta);
  // Adds `delta` to cell `cell` (0, 1, ...) of the counter row at `key`: a
  // row of counters read with one key (key_codec.h: CounterCell).
  void AddCounterCell(Cf cf, absl::string_view key, size_t cell, int64_t delta);
  // Precondition: the value at `key` is `value` when the batch is applied, or
  // the key is absent if `value` is nullopt. If not, the whole batch fails
  // with a write conflict (IsWriteConflict()).
  void ExpectValue(Cf cf, absl::string_view key, std::optional<std::string> value);
  // Adds a schedule entry (Cf::kSchedule) firing at `due`.
  void Schedule(absl::Time due, absl::string_view kind, absl::string_view key,
                absl::string_view payload = {});
  // Removes the schedule entry with exactly this due time, kind and key.
  void Unschedule(absl::Time due, absl::string_view kind, absl::string_view key);
  // Appends `value` to a numbered log: the committer gives it the next
  // number n (1, 2, ...) of the log, stores it at `entry_prefix` + n (8 bytes,
  // big-endian, so entries sort by number) and n at `last_key`. Numbers follow
  // commit order, so appends never conflict with each other, and a reader
  // scanning the log never meets a gap that a later commit fills.
  void AppendToLog(Cf cf, absl::string_view last_key, absl::string_view entry_prefix,
                   absl::string_view value);

  bool empty() const { return ops_.empty(); }
  size_t op_count() const { return ops_.size(); }
  // Approximate size in bytes of keys and values.
  size_t ByteSize() const { return bytes_; }

 private:
  friend class Store;
  friend class Txn;
  enum class OpType { kPut, kDelete, kAdd, kAppend };
  // Where an op's bytes are in data_.
  struct Piece {
    uint32_t begin = 0;
    uint32_t size = 0;
  };
  struct Op {
    OpType type;
    Cf cf;
    Piece key;  // For kAppend, the log's last-number key.
    Piece value;
    Piece entry_prefix;  // kAppend only.
  };
  struct Precondition {
    Cf cf;
    std::string key;
    std::optional<std::string> value;
    // For a value read by a Txn: the store's commit number before the read
    // (Store::visible_commit()). The committer then checks the key against
    // the writes it remembers, without reading it again.
    std::optional<uint64_t> read_after;
  };
  // Appends an op with `key`, counted in ByteSize(); the caller fills the rest.
  Op& Add(OpType type, Cf cf, absl::string_view key);
  // Appends `bytes` to data_; `bytes` may point into data_ itself.
  Piece Append(absl::string_view bytes);
  absl::string_view View(Piece piece) const { return absl::string_view(data_).substr(piece.begin, piece.size); }

  std::vector<Op> ops_;
  // Every key and value of ops_, back to back: a batch holds its bytes in
  // one allocation (or a few, while it grows), not two per write, and the
  // committer frees them at once.
  std::string data_;
  std::vector<Precondition> preconditions_;
  size_t bytes_ = 0;
};

// True if `status` reports a failed precondition of a WriteBatch (another
// write changed what was read). Transact() retries these by itself.
bool IsWriteConflict(const absl::Status& status);

struct KeyValue {
  std::string key;
  std::string value;
};

// What to scan. Keys visited are those starting with `prefix`, at or after
// `lower` and before `upper` (when set), and strictly after `start_after`
// (the resume key of a previous page, when set), in key order.
struct ScanOptions {
  std::string prefix;
  std::string lower;
  std::string upper;
  std::string start_after;
  // Most entries returned; 0 means no limit.
  size_t limit = 0;
};

struct ScanResult {
  std::vector<KeyValue> entries;
  // True when the scan stopped at `limit` with keys left; resume after the
  // last entry's key.
  bool more = false;
};

// Size figures for metrics and ServerInfo, summed over column families.
struct StoreStats {
  uint64_t live_data_bytes = 0;
  uint64_t sst_files_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t memtable_bytes = 0;
  uint64_t estimated_keys = 0;
};

// What one group commit did, for metrics and the scheduler's wake-up.
struct CommitGroupInfo {
  size_t batches = 0;
  size_t bytes = 0;
  absl::Duration write_duration;
  // Earliest due time of the schedule entries the group added, if any.
  std::optional<absl::Time> earliest_schedule;
  // Whether the write was synced to the WAL.
  bool synced = false;
};

// A backup written by Store::Checkpoint.
struct CheckpointInfo {
  std::string directory;
  uint64_t sequence_number = 0;
  uint32_t file_count = 0;
  uint64_t size_bytes = 0;
};

class Store;

// A key of a column family as the committer's conflict checks know it: a hash.
using KeyHash = size_t;

// The read side of an optimistic transaction: reads through it become
// preconditions of its batch. Created by Store::Transact.
class Txn {
 public:
  // Reads `key`; nullopt if absent. Sees this transaction's own puts and
  // deletes; otherwise the value read from the store becomes a precondition.
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key);
  // Reads and parses `key` into `message`; false if absent. Tracked like Get.
  absl::StatusOr<bool> GetProto(Cf cf, absl::string_view key, google::protobuf::MessageLite* message);
  // The batch committed when the body succeeds.
  WriteBatch& batch() { return batch_; }
  // The store, for untracked reads and scans (phantoms are not detected).
  Store& store() { return *store_; }
  // Has `effect` run once this transaction has succeeded: its batch committed
  // (or, with nothing to write, its reads were confirmed current). Never if
  // it fails. A body runs again after a write conflict on a fresh Txn, so
  // only the effects of the run that succeeds happen: for what lives outside
  // the store, such as metrics. Effects run in the order registered, just
  // before the transaction's `done`, on the same thread.
  void AfterCommit(std::function<void()> effect) { effects_.push_back(std::move(effect)); }

 private:
  friend class Store;
  explicit Txn(Store* store);
  // The value of `key` as this transaction sees it, nullopt if absent; valid
  // until the next read or write through the transaction.
  absl::StatusOr<std::optional<absl::string_view>> Read(Cf cf, absl::string_view key);

  Store* store_;
  // Every commit numbered up to this one was visible before the first read.
  uint64_t read_after_;
  WriteBatch batch_;
  std::vector<std::function<void()>> effects_;
};

class Store final {
 public:
  // Opens (creating if needed) the store under options.data_dir: takes the
  // directory's lock, opens every column family and checks the schema.
  // FAILED_PRECONDITION if another process holds the directory or its schema
  // is newer than kSchemaVersion; INTERNAL on other RocksDB errors.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  // Drains the commit queue (every queued batch is written and its caller
  // answered), then closes RocksDB and releases the directory lock.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Point read; nullopt if absent.
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) const;
  // Reads and parses a record; false if absent; DATA_LOSS if it does not parse.
  absl::StatusOr<bool> GetProto(Cf cf, absl::string_view key,
                                google::protobuf::MessageLite* message) const;
  // Reads a counter (0 if absent).
  absl::StatusOr<int64_t> GetCounter(Cf cf, absl::string_view key) const;

  // Visits keys as described by `options` (its limit is ignored) until
  // `visit` returns false.
  absl::Status ForEach(Cf cf, const ScanOptions& options,
                       const std::function<bool(absl::string_view key,
                                                absl::string_view value)>& visit) const;
  // Returns up to options.limit entries as described by `options`.
  absl::StatusOr<ScanResult> Scan(Cf cf, const ScanOptions& options) const;

  // Queues `batch`; `done` runs once it is durable (or failed), on the
  // store's completion thread: it must be quick and must not block (it may
  // start further commits). An empty batch
  // without preconditions completes at once.
  void Commit(WriteBatch batch, std::function<void(absl::Status)> done);
  // Commit() that waits for the outcome.
  absl::Status CommitSync(WriteBatch batch);

  // Runs `body` on a fresh Txn and commits its batch; on a write conflict runs
  // it again (a bounded number of times, then ABORTED). If `body` fails (or
  // writes nothing), nothing is written and `done` gets its status once the
  // values it read are known to be still current; if one changed, `body` runs
  // again. `done` may run on the caller's thread or the store's completer
  // thread; `body` may run on either.
  void Transact(std::function<absl::Status(Txn&)> body, std::function<void(absl::Status)> done);
  // Transact() that waits for the outcome.
  absl::Status TransactSync(std::function<absl::Status(Txn&)> body);

  // Writes a consistent checkpoint of the live store into `directory`, which
  // must not exist. A store opened there has every write acknowledged before
  // the call.
  absl::StatusOr<CheckpointInfo> Checkpoint(const std::string& directory);

  // Size figures (cheap: RocksDB properties).
  StoreStats Stats() const;

  // Registers `listener`, called on the committer thread after every group
  // commit is written (and synced), before its callers are answered. Register
  // before traffic starts; listeners must be quick.
  void AddCommitListener(std::function<void(const CommitGroupInfo&)> listener);

  const StoreOptions& options() const { return options_; }
  uint32_t schema_version() const { return kSchemaVersion; }

 private:
  friend class Txn;  // For visible_commit().
  struct Pending {
    WriteBatch batch;
    std::function<void(absl::Status)> done;
  };

  Store(StoreOptions options, int lock_fd);
  void Enqueue(WriteBatch batch, std::function<void(absl::Status)> done, bool retry);
  absl::Status OpenDb();
  absl::Status CheckSchema();
  // Schema 1 to 2: moves every satisfaction tally of one key per lane into
  // its row. Idempotent.
  // Moves the one-cell counters under `prefix` that `legacy_cell` recognizes
  // (`what` they are, for the log) into the cells of their rows, in atomic
  // chunks: a crash leaves each counter in exactly one place.
  absl::Status MoveCountersIntoRows(absl::string_view prefix,
                                    std::optional<LegacyCounterCell> (*legacy_cell)(absl::string_view key),
                                    absl::string_view what);
  rocksdb::ColumnFamilyHandle* Handle(Cf cf) const { return handles_[static_cast<int>(cf)]; }
  void CommitLoop();
  // The last number of a log (WriteBatch::AppendToLog), kept by the committer
  // thread only; read from the store on first use.
  absl::StatusOr<uint64_t*> LogPosition(Cf cf, const std::string& cf_last_key,
                                        absl::string_view last_key);
  absl::flat_hash_map<std::string, uint64_t> log_positions_;  // Committer thread only.

  // Write-conflict checks without reads (as an OCC resolver does it). Each
  // written group gets the next commit number, published once the write is
  // visible to readers. The committer remembers, for every key written by a
  // recent group, the number of the last group that wrote it. A value a Txn
  // read after commit r is still current if no group after r wrote its key;
  // a Txn older than what is remembered (r < forgotten_through_) falls back to
  // reading the key again and comparing values.
  bool StillCurrent(const WriteBatch::Precondition& pre, absl::Status* error);
  void RememberWrites(const absl::flat_hash_set<KeyHash>& keys);
  uint64_t visible_commit() const { return visible_commit_.load(std::memory_order_acquire); }
  std::atomic<uint64_t> visible_commit_{0};
  absl::flat_hash_map<KeyHash, uint64_t> last_written_;  // Committer thread only.
  uint64_t forgotten_through_ = 0;                           // Committer thread only.
  struct Transaction;
  void RunAttempt(Transaction* transaction);
  // After a write conflict: RunAttempt() again, or ABORTED after too many.
  void RunAgain(Transaction* transaction);
  // Gives `transaction` its outcome and deletes it.
  static void Answer(Transaction* transaction, absl::Status status);

  const StoreOptions options_;
  const int lock_fd_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // Guarded by mu_.
  // Transactions rerun after a conflict go first, so a retry never starves
  // behind fresh writes of the same key. Guarded by mu_.
  std::deque<Pending> retry_queue_;
  bool closing_ = false;       // Guarded by mu_.
  // Groups whose callers the completer has not answered yet. Guarded by mu_.
  int completions_pending_ = 0;
  std::thread committer_;

  // The completer answers callers of written groups, so that the committer
  // starts the next write (and its sync) at once instead of running gRPC
  // completions first: syncs overlap with the CPU work of answering.
  void CompleteLoop();
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  // A caller and its outcome.
  struct Answered {
    std::function<void(absl::Status)> done;
    absl::Status status;
  };
  // Hands `answers` (one group's, or the read checks answered before its
  // write) to the completer thread.
  void SendAnswers(std::vector<Answered> answers);
  std::deque<std::vector<Answered>> done_queue_;  // Guarded by done_mu_.
  bool done_stop_ = false;                                      // Guarded by done_mu_.
  std::thread completer_;

  std::mutex listeners_mu_;
  std::vector<std::function<void(const CommitGroupInfo&)>> listeners_;
};

}  // namespace rapport::storage
