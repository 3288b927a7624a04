// A file holding a serialized pattern database, so a restart need not compile the pattern set
// again (about a second of CPU).
//
// Layout: magic, the key's length and bytes, the database's length, bytes and FNV-1a checksum.
// The key is everything the database was compiled from (Hyperscan version, flags and every
// regex), compared byte for byte: a cache from another policy or library is never used. A file
// is trusted only if it is a regular file owned by the effective user and not writable by group
// or others, i.e. one only this user (or root) could have written; anything else is refused and
// the caller compiles. Hyperscan validates the database again when it deserializes it.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace closedpaw::injection {

// The database bytes stored in path for key. NotFound if there is no file, AccessDenied if the
// file is not trustworthy, Corrupt if it is malformed, truncated or holds another key.
Result<std::string> read_db_cache(const std::string& path, std::string_view key);

// Writes the cache atomically (a temporary file in the same directory, mode 0600, renamed over
// path). A reader never sees a partial file.
Result<void> write_db_cache(const std::string& path, std::string_view key, std::string_view db);

}  // namespace closedpaw::injection
