// BPE merges (see bpe.h for the rules and their source, tokenizers/src/models/bpe/), and its
// builder from a tokenizer.json "model" object (tokenizers/src/models/bpe/serialization.rs).
#include "tokenizer/models/bpe.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "core/error.h"
#include "tokenizer/factory.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

constexpr size_t kDirectChars = 2048;  // every code point of at most two UTF-8 bytes

// One symbol of the word being merged (word.rs Symbol): removed symbols stay in place, marked.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  bool removed;
};

// A candidate merge in the queue (word.rs Merge).
struct QueuedMerge {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
};

// std heaps put the "largest" on top; this makes it the lowest rank, then the leftmost position.
struct LaterMerge {
  bool operator()(const QueuedMerge& a, const QueuedMerge& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

// The per-thread word cache: 2-way set associative, entries inline (no allocation per word), the
// newest of a set in way 0. A word longer than kMaxCachedBytes or with more than kMaxCachedIds
// ids is not cached (HF likewise caches only short words): such words are rare, and their merge
// work dwarfs a lookup anyway. 16384 entries of 64 bytes: 1 MiB per thread, enough for the
// distinct words of a typical dataset's frequent vocabulary.
constexpr size_t kCacheSets = 8192;
constexpr size_t kMaxCachedBytes = 34;
constexpr size_t kMaxCachedIds = 4;

struct CachedWord {
  uint64_t serial = 0;  // the BPE it belongs to; 0: empty
  uint32_t hash = 0;
  uint8_t size = 0;
  uint8_t count = 0;
  char word[kMaxCachedBytes];
  int32_t ids[kMaxCachedIds];
};
static_assert(sizeof(CachedWord) == 64);

CachedWord* word_cache() {
  thread_local std::vector<CachedWord> cache(2 * kCacheSets);
  return cache.data();
}

std::atomic<uint64_t> next_serial{1};

// "<0x0A>": tokenizers' format!("<{b:#04X}>").
std::string byte_token(unsigned b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

}  // namespace

BPE::BPE(TokenTable vocab, const std::vector<std::pair<std::string, std::string>>& merges,
         BpeOptions options, const BpeSources& sources)
    : vocab_(std::move(vocab)),
      options_(std::move(options)),
      origin_(sources.model),
      serial_(next_serial++) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, merges.size() * 2));
  merges_.assign(capacity, MergeSlot{});
  merge_mask_ = capacity - 1;
  merge_shift_ = 64 - std::countr_zero(capacity);

  const std::string& prefix = options_.continuing_subword_prefix;
  std::string merged;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [left, right] = merges[i];
    const int32_t left_id = vocab_.find(left);
    if (left_id == TokenTable::kMissing) {
      throw Error(cat(sources.merge(i), ": '", left, "' is not in ", sources.vocab));
    }
    const int32_t right_id = vocab_.find(right);
    if (right_id == TokenTable::kMissing) {
      throw Error(cat(sources.merge(i), ": '", right, "' is not in ", sources.vocab));
    }
    // HF forms the merged token as left + right[len(prefix)..] whether or not `right` starts with
    // the prefix, and panics when that cut is impossible; we refuse such a merge instead.
    if (right.size() < prefix.size() ||
        (right.size() > prefix.size() &&
         utf8::is_continuation(static_cast<unsigned char>(right[prefix.size()])))) {
      throw Error(cat(sources.merge(i), ": cannot cut continuing_subword_prefix '", prefix, "' (",
                      prefix.size(), " bytes) off the right token '", right,
                      "' (tokenizers fails on this merge too)"));
    }
    merged.assign(left);
    merged.append(right, prefix.size());
    const int32_t new_id = vocab_.find(merged);
    if (new_id == TokenTable::kMissing) {
      throw Error(cat(sources.merge(i), ": '", left, "' + '", right, "' = '", merged,
                      "' is not in ", sources.vocab));
    }
    insert_merge(left_id, right_id, static_cast<uint32_t>(i), new_id);
  }

  plain_ = options_.continuing_subword_prefix.empty() && options_.end_of_word_suffix.empty();
  char_ids_.assign(kDirectChars, TokenTable::kMissing);
  std::string text;
  for (char32_t cp = 0; cp < kDirectChars; ++cp) {
    text.clear();
    utf8::append(text, cp);
    char_ids_[cp] = vocab_.find(text);
  }
  for (unsigned b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(byte_token(b));
  if (options_.unk_token) unk_id_ = vocab_.find(*options_.unk_token);
}

BPE::~BPE() = default;

void BPE::insert_merge(int32_t left, int32_t right, uint32_t rank, int32_t new_id) {
  const uint64_t key = pack(left, right);
  size_t index = (key * 0x9E3779B97F4A7C15ULL) >> merge_shift_;
  while (merges_[index].pair != kEmptyPair && merges_[index].pair != key)
    index = (index + 1) & merge_mask_;
  if (merges_[index].pair == kEmptyPair) ++merge_count_;
  // A pair listed again replaces the earlier rank (HF collects the merges into a HashMap).
  merges_[index] = {key, rank, new_id};
}

int32_t BPE::unk_id_or_throw() const {
  if (unk_id_ == TokenTable::kMissing) {
    // HF loads such a model and fails only on a word that needs the unknown token; so do we.
    throw Error(
        cat(origin_, ".unk_token: '", *options_.unk_token,
            "' is not in the vocabulary, and the text has a character the vocabulary lacks"));
  }
  return unk_id_;
}

void BPE::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    const int32_t id = vocab_.find(word);
    if (id != TokenTable::kMissing) {
      ids.push_back(id);
      return;
    }
  }
  if (word.size() > kMaxCachedBytes) {
    encode_word(word, ids);
    return;
  }
  const uint64_t hash = TokenTable::hash(word);
  const auto tag = static_cast<uint32_t>(hash >> 32);
  CachedWord* set = word_cache() + 2 * (hash & (kCacheSets - 1));
  for (int way = 0; way < 2; ++way) {
    const CachedWord& entry = set[way];
    if (entry.serial == serial_ && entry.hash == tag && entry.size == word.size() &&
        std::memcmp(entry.word, word.data(), word.size()) == 0) {
      ids.insert(ids.end(), entry.ids, entry.ids + entry.count);
      return;
    }
  }
  const size_t mark = ids.size();
  encode_word(word, ids);
  const size_t count = ids.size() - mark;
  if (count > kMaxCachedIds) return;
  set[1] = set[0];  // the older entry moves to way 1, evicting what was there
  CachedWord& entry = set[0];
  entry.serial = serial_;
  entry.hash = tag;
  entry.size = static_cast<uint8_t>(word.size());
  entry.count = static_cast<uint8_t>(count);
  std::memcpy(entry.word, word.data(), word.size());
  std::copy(ids.begin() + static_cast<std::ptrdiff_t>(mark), ids.end(), entry.ids);
}

void BPE::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<QueuedMerge> queue;
  thread_local std::string piece;
  symbols.clear();
  auto add = [&](int32_t id) {
    const auto index = static_cast<int32_t>(symbols.size());
    if (index > 0) symbols.back().next = index;
    symbols.push_back({id, index - 1, -1, false});
  };

  // 1. Characters -> ids (model.rs merge_word).
  bool pending_unk = false;
  int32_t pending_unk_id = TokenTable::kMissing;
  const size_t n = word.size();
  size_t i = 0;
  while (i < n) {
    const size_t start = i;
    const char32_t cp = utf8::decode(word, i);
    std::string_view text;
    int32_t id;
    if (plain_) {
      text = word.substr(start, i - start);
      id = cp < kDirectChars ? char_ids_[cp] : vocab_.find(text);
    } else {
      piece.clear();
      if (start > 0) piece += options_.continuing_subword_prefix;
      piece.append(word, start, i - start);
      if (i == n) piece += options_.end_of_word_suffix;
      text = piece;
      id = vocab_.find(text);
    }
    if (id != TokenTable::kMissing) {
      if (pending_unk) {
        add(pending_unk_id);
        pending_unk = false;
      }
      add(id);
      continue;
    }
    if (options_.byte_fallback) {
      // All bytes of the looked-up text (prefix and suffix included, as in HF) or none.
      bool all = true;
      for (char c : text)
        all = all && byte_ids_[static_cast<unsigned char>(c)] != TokenTable::kMissing;
      if (all) {
        for (char c : text) add(byte_ids_[static_cast<unsigned char>(c)]);
        continue;  // a pending unknown token stays pending (HF's order)
      }
    }
    if (options_.unk_token) {
      if (!pending_unk) {
        pending_unk_id = unk_id_or_throw();
        pending_unk = true;
      } else if (!options_.fuse_unk) {
        add(pending_unk_id);  // the previous one; this character's stays pending
      }
    }
  }
  if (pending_unk) add(pending_unk_id);

  // 2. Merges, lowest rank first, leftmost among equals (word.rs merge_all).
  const auto count = static_cast<int32_t>(symbols.size());
  if (count >= 2) {
    queue.clear();
    for (int32_t k = 0; k + 1 < count; ++k) {
      if (const MergeSlot* m = find_merge(symbols[k].id, symbols[k + 1].id))
        queue.push_back({m->rank, k, m->new_id});
    }
    std::make_heap(queue.begin(), queue.end(), LaterMerge{});
    while (!queue.empty()) {
      std::pop_heap(queue.begin(), queue.end(), LaterMerge{});
      const QueuedMerge top = queue.back();
      queue.pop_back();
      Symbol& left = symbols[top.pos];
      if (left.removed || left.next < 0) continue;
      Symbol& right = symbols[left.next];
      // A stale entry: the pair at this position has changed since it was queued.
      const MergeSlot* current = find_merge(left.id, right.id);
      if (current == nullptr || current->new_id != top.new_id) continue;
      left.id = top.new_id;
      left.next = right.next;
      right.removed = true;
      if (left.next >= 0) symbols[left.next].prev = top.pos;
      if (left.prev >= 0) {
        if (const MergeSlot* m = find_merge(symbols[left.prev].id, left.id)) {
          queue.push_back({m->rank, left.prev, m->new_id});
          std::push_heap(queue.begin(), queue.end(), LaterMerge{});
        }
      }
      if (left.next >= 0) {
        if (const MergeSlot* m = find_merge(left.id, symbols[left.next].id)) {
          queue.push_back({m->rank, top.pos, m->new_id});
          std::push_heap(queue.begin(), queue.end(), LaterMerge{});
        }
      }
    }
  }
  for (const Symbol& symbol : symbols) {
    if (!symbol.removed) ids.push_back(symbol.id);
  }
}

// ---------------------------------------------------------------------------------------------
// The tokenizer.json builder.

namespace {

// An optional string option: absent or null -> "" (HF's None, which behaves as "").
std::string optional_string(const JsonView& node, const std::string& key) {
  return node.has(key) ? node.get_string(key) : std::string();
}

// The merges in rank order; json_index[rank] is the merge's index in the JSON array.
std::vector<std::pair<std::string, std::string>> read_json_merges(const JsonView& node,
                                                                  std::vector<size_t>& json_index) {
  const Json& list = node.at("merges").raw();
  if (!list.is_array()) {
    throw Error(
        cat(node.where(), ".merges: expected an array of merges, got ", json_type_phrase(list)));
  }
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(list.size());
  // tokenizers reads either every merge as a "left right" string (the older format) or every
  // merge as a [left, right] pair; a list mixing both is refused there, and here.
  const bool strings = !list.empty() && list[0].is_string();
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& merge = list[i];
    if (strings && merge.is_string()) {
      const std::string& line = merge.get_ref<const std::string&>();
      // The string form goes through the merges.txt reader, which skips "#version" lines.
      // Such a line takes no rank, so ranks and JSON indices can differ.
      if (line.rfind("#version", 0) == 0) continue;
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        throw Error(cat(node.where(), ".merges[", i,
                        "]: expected \"left right\" (two tokens separated by one space), got ",
                        merge.dump()));
      }
      merges.emplace_back(line.substr(0, space), line.substr(space + 1));
      json_index.push_back(i);
    } else if (!strings && merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      json_index.push_back(i);
    } else {
      throw Error(cat(node.where(), ".merges[", i, "]: expected ",
                      strings ? "a \"left right\" string like the merges before it"
                              : "a [left, right] pair of strings",
                      ", got ", merge.dump()));
    }
  }
  return merges;
}

}  // namespace

std::unique_ptr<Model> build_bpe(const JsonView& node) {
  // tokenizers: "Missing vocab/merges" without either.
  if (!node.has("vocab"))
    throw Error(cat(node.where(), ": a BPE model needs 'vocab' (token -> id)"));
  if (!node.has("merges")) throw Error(cat(node.where(), ": a BPE model needs 'merges'"));
  if (node.has("dropout")) {
    const Json& dropout = node.raw().at("dropout");
    if (!dropout.is_number()) {
      throw Error(cat(node.where(), ".dropout: expected a number or null, got ",
                      json_type_phrase(dropout)));
    }
    const double p = dropout.get<double>();
    if (!(p >= 0.0 && p <= 1.0)) {
      throw Error(cat(node.where(), ".dropout: must be between 0 and 1, got ", dropout.dump()));
    }
    if (p != 0.0) {
      throw Error(cat(node.where(), ".dropout: BPE dropout (", dropout.dump(),
                      ") is not supported: it makes tokenization random, a training-time "
                      "augmentation; set it to "
                      "null for the deterministic tokenizer"));
    }
  }
  BpeOptions options;
  if (node.has("unk_token")) options.unk_token = node.get_string("unk_token");
  options.continuing_subword_prefix = optional_string(node, "continuing_subword_prefix");
  options.end_of_word_suffix = optional_string(node, "end_of_word_suffix");
  options.fuse_unk = node.get_bool_or("fuse_unk", false);
  options.byte_fallback = node.get_bool_or("byte_fallback", false);
  options.ignore_merges = node.get_bool_or("ignore_merges", false);

  TokenTable vocab = read_vocab_map(node);
  std::vector<size_t> json_index;
  const std::vector<std::pair<std::string, std::string>> merges =
      read_json_merges(node, json_index);
  // Messages name the merge by its key path ("tokenizer.json: model.merges[17]") and the
  // vocabulary by its key ("model.vocab"), without repeating the file.
  const std::string where = node.where();
  const size_t colon = where.rfind(": ");
  const std::string key = colon == std::string::npos ? where : where.substr(colon + 2);
  BpeSources sources{where, key + ".vocab",
                     [&](size_t i) { return cat(where, ".merges[", json_index[i], "]"); }};
  return std::make_unique<BPE>(std::move(vocab), merges, std::move(options), sources);
}

}  // namespace finetune
