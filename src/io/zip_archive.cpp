// ZIP reading with libzip over the memory-mapped file: a buffer source (libzip neither writes nor
// frees it) opened read-only with ZIP_CHECKCONS; each entry is copied out with zip_fread, read to
// its end so that libzip compares the CRC-32. CRC-32 itself is zlib's.
#include "io/zip_archive.h"

#include <zip.h>
#include <zlib.h>

#include <cstring>

#include "core/error.h"

namespace finetune {
namespace {

// A zip_error_t, released however the scope is left.
struct ZipError {
  zip_error_t error;
  ZipError() { zip_error_init(&error); }
  ~ZipError() { zip_error_fini(&error); }
  ZipError(const ZipError&) = delete;
  ZipError& operator=(const ZipError&) = delete;
};

// libzip's words for an error, except where libzip 1.7 words it for a writer.
std::string describe(zip_error_t* error) {
  if (zip_error_code_zip(error) == ZIP_ER_EXISTS) return "two entries have the same name";
  return cat("libzip: ", zip_error_strerror(error));
}

Error damaged(const std::filesystem::path& path, const std::string& what) {
  return Error(cat(path.string(), ": not a readable zip archive (", what,
                   "); the file may be truncated or damaged (download it again)"));
}

struct CloseEntry {
  void operator()(zip_file_t* file) const { zip_fclose(file); }  // read-only: nothing to flush
};

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), size));
}

bool looks_like_zip(const std::filesystem::path& path) {
  MappedFile file(path);  // throws the system's reason for a missing or unreadable file
  return file.size() >= 4 && std::memcmp(file.data(), "PK\3\4", 4) == 0;
}

void ZipArchive::Discard::operator()(zip* archive) const {
  zip_discard(archive);  // also frees the buffer source (not the mapped bytes under it)
}

ZipArchive::ZipArchive(const std::filesystem::path& path)
    : file_(std::make_unique<MappedFile>(path)) {
  ZipError status;
  zip_source_t* source = zip_source_buffer_create(file_->data(), file_->size(), 0, &status.error);
  if (source == nullptr) throw damaged(path, describe(&status.error));
  zip_.reset(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &status.error));
  if (!zip_) {
    zip_source_free(source);  // an archive owns its source only once it has opened
    throw damaged(path, describe(&status.error));
  }

  const zip_int64_t count = zip_get_num_entries(zip_.get(), 0);
  FT_CHECK(count >= 0, "zip_get_num_entries of an open archive");
  entries_.reserve(static_cast<size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    // Raw names: the bytes torch.save wrote, which is what PyTorch's own reader compares.
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &stat) != 0) {
      throw damaged(path, cat("entry ", i, ": ", describe(zip_get_error(zip_.get()))));
    }
    constexpr zip_uint64_t kNeeded = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
                                     ZIP_STAT_CRC | ZIP_STAT_COMP_METHOD |
                                     ZIP_STAT_ENCRYPTION_METHOD;
    FT_CHECK((stat.valid & kNeeded) == kNeeded, "libzip left fields of entry ", i, " unset");
    ZipEntry entry;
    entry.name = stat.name;
    entry.method = stat.comp_method;
    entry.crc32 = stat.crc;
    entry.compressed_size = stat.comp_size;
    entry.size = stat.size;
    if (stat.encryption_method != ZIP_EM_NONE) {
      throw damaged(path, cat("entry '", entry.name, "' is encrypted"));
    }
    if (entry.method == ZIP_CM_STORE && entry.size != entry.compressed_size) {
      throw damaged(path,
                    cat("stored entry '", entry.name, "' has different stored and original sizes"));
    }
    // libzip refuses names that repeat after decoding; the raw bytes are checked here too.
    if (!index_.emplace(entry.name, entries_.size()).second) {
      throw damaged(path, cat("entry '", entry.name, "' appears twice"));
    }
    entries_.push_back(std::move(entry));
  }
  contents_.resize(entries_.size());
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string_view ZipArchive::read(const ZipEntry& entry) const {
  const size_t index = static_cast<size_t>(&entry - entries_.data());
  FT_CHECK(index < entries_.size(), "entry does not belong to this archive");
  if (contents_[index]) return *contents_[index];
  if (entry.method != ZIP_CM_STORE) {
    throw Error(cat(path().string(), ": zip entry '", entry.name, "' is compressed (method ",
                    entry.method, "); only stored entries are read, as torch.save writes them"));
  }
  const auto entry_damaged = [&](const std::string& what) {
    return Error(cat(path().string(), ": zip entry '", entry.name, "' is damaged (", what,
                     "); download the file again"));
  };
  // libzip keeps each entry inside the data area but lets entries overlap. Entries that do not
  // overlap hold at most the file's bytes between them; more would mean copying the same bytes
  // many times over, so the copies kept never exceed the file's size.
  if (entry.size > file_->size() - bytes_read_) {
    throw entry_damaged("it overlaps other entries: together they hold more bytes than the file");
  }

  std::unique_ptr<zip_file_t, CloseEntry> file(
      zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
  if (!file) throw entry_damaged(describe(zip_get_error(zip_.get())));
  // One spare byte, so that reading goes on to the end of the entry: libzip compares the CRC-32
  // on the read that finds the end, and an entry longer than its declared size shows.
  std::string bytes(entry.size + 1, '\0');
  uint64_t have = 0;
  zip_int64_t n = 0;
  do {
    n = zip_fread(file.get(), bytes.data() + have, bytes.size() - have);
    if (n < 0) throw entry_damaged(describe(zip_file_get_error(file.get())));
    have += static_cast<uint64_t>(n);
  } while (n > 0 && have < bytes.size());
  if (have != entry.size) {
    throw entry_damaged(
        cat(have > entry.size ? "more" : "fewer", " bytes than its size of ", entry.size));
  }
  bytes.resize(entry.size);
  bytes_read_ += entry.size;
  contents_[index] = std::move(bytes);
  return *contents_[index];
}

}  // namespace finetune
