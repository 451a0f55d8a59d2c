#!/usr/bin/env bash
# wal_zero_fill_ab.sh: an experiment, not a feature. Does a WAL whose space is
# written (zero-filled) ahead of its end make durable writes cheaper?
#
# RocksDB preallocates a WAL with fallocate(FALLOC_FL_KEEP_SIZE): every append
# then grows the file's size, so every group commit's fdatasync also writes
# the inode (ext4: one more device write and wait per sync). Here a small
# shim preloaded into rapportd (LD_PRELOAD) turns that fallocate of a
# *.log file into a write of zeros over the range: appends overwrite written
# blocks, the size does not change, and fdatasync writes data only. RocksDB's
# WAL reader skips zero-filled tails (what preallocation leaves), and closes
# truncate the file to its data.
#
# ab.sh runs the paired rounds: build A is the plain rapportd, build B a
# directory whose rapportd execs the same binary with the shim preloaded.
# Each loads CreateRelationship against the health check, as
# relationship_ratio.sh does; see ab.sh for what it prints.
#
# Usage: bench/wal_zero_fill_ab.sh [-b BUILD_DIR] [-c CONCURRENCY] [-d DURATION] [-n ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_ratio_options "$@"

shim_dir=$(mktemp -d "${TMPDIR:-/tmp}/rapport-walzf-XXXXXX")
trap 'rm -rf "$shim_dir"' EXIT
cat >"$shim_dir/zero_fill.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// fallocate(KEEP_SIZE) of a WAL (*.log): write zeros over [offset, offset + len)
// beyond the file's end instead; the file position is left where it was.
int fallocate(int fd, int mode, off_t offset, off_t len) {
  static int (*real)(int, int, off_t, off_t);
  if (real == NULL) real = (int (*)(int, int, off_t, off_t))dlsym(RTLD_NEXT, "fallocate");
  char link[64], name[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, name, sizeof name - 1);
  if (mode != FALLOC_FL_KEEP_SIZE || n < 4 || strncmp(name + n - 4, ".log", 4) != 0) {
    return real(fd, mode, offset, len);
  }
  static const char zeros[1 << 16];
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  for (off_t at = st.st_size > offset ? st.st_size : offset; at < offset + len;) {
    const size_t chunk = offset + len - at < (off_t)sizeof zeros ? (size_t)(offset + len - at) : sizeof zeros;
    const ssize_t written = pwrite(fd, zeros, chunk, at);
    if (written < 0) return -1;
    at += written;
  }
  return 0;
}
int fallocate64(int fd, int mode, off_t offset, off_t len) { return fallocate(fd, mode, offset, len); }
EOF
gcc -O2 -shared -fPIC -o "$shim_dir/zero_fill.so" "$shim_dir/zero_fill.c" -ldl

# Build B: the same rapportd, with the shim.
build_dir=$(cd "$build_dir" && pwd)
mkdir -p "$shim_dir/build/server"
printf '#!/bin/sh\nexec env LD_PRELOAD=%s %s/server/rapportd "$@"\n' \
  "$shim_dir/zero_fill.so" "$build_dir" >"$shim_dir/build/server/rapportd"
chmod +x "$shim_dir/build/server/rapportd"

bench/ab.sh -a "$build_dir" -b "$shim_dir/build" -c "$concurrency" -d "$duration" -n "$rounds" \
  rapport.v1.RelationshipService/CreateRelationship \
  '{"relationship_id":"r-{{seq}}","relationship":{"display_name":"Customer {{seq}}","kind":"EXTERNAL_CUSTOMER"}}'
