#include "storage/column_families.h"

namespace rapport::storage {
namespace {

// Indexed by Cf. The first name is RocksDB's default column family.
constexpr absl::string_view kNames[kCfCount] = {
    "default", "meta", "schedule", "index", "aggregates", "idempotency", "changes",
    "relationships", "catalog", "tickets", "satisfaction", "escalations", "audit",
};

}  // namespace

absl::string_view CfName(Cf cf) { return kNames[static_cast<int>(cf)]; }

}  // namespace rapport::storage
