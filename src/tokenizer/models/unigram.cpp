// Unigram Viterbi segmentation and its double-array trie (see unigram.h for the rules and their
// source, tokenizers/src/models/unigram/model.rs).
#include "tokenizer/models/unigram.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "tokenizer/factory.h"
#include "tokenizer/utf8.h"

namespace finetune {

// ---------------------------------------------------------------------------------------------
// PieceTrie

namespace {

// The root's check value: not the index of any unit, so no child lookup can land on the root.
constexpr uint32_t kRootCheck = UINT32_MAX - 1;
constexpr uint32_t kFree = UINT32_MAX;
constexpr int64_t kNoLink = -1;

// The free units of the array being built, as a doubly linked list in index order, so that the
// search for a base visits only free units.
class FreeList {
 public:
  explicit FreeList(std::vector<uint32_t>& check) : check_(check) {}

  // Makes the array at least `size` units long; the new units are free.
  void extend(size_t size) {
    while (check_.size() < size) {
      const auto index = static_cast<int64_t>(check_.size());
      check_.push_back(kFree);
      next_.push_back(kNoLink);
      prev_.push_back(tail_);
      if (tail_ == kNoLink) {
        head_ = index;
      } else {
        next_[static_cast<size_t>(tail_)] = index;
      }
      tail_ = index;
    }
  }
  void take(size_t index, uint32_t parent) {
    const int64_t p = prev_[index], n = next_[index];
    if (p == kNoLink) {
      head_ = n;
    } else {
      next_[static_cast<size_t>(p)] = n;
    }
    if (n == kNoLink) {
      tail_ = p;
    } else {
      prev_[static_cast<size_t>(n)] = p;
    }
    check_[index] = parent;
  }
  int64_t head() const { return head_; }
  int64_t next(int64_t index) const { return next_[static_cast<size_t>(index)]; }

 private:
  std::vector<uint32_t>& check_;
  std::vector<int64_t> next_, prev_;
  int64_t head_ = kNoLink, tail_ = kNoLink;
};

}  // namespace

void PieceTrie::build(std::vector<std::pair<std::string_view, int32_t>> keys) {
  // char_traits<char>::compare orders bytes as unsigned char, which the grouping below needs.
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < keys.size(); ++i) {
    FT_CHECK(!keys[i].first.empty() && keys[i].second != kNone,
             "PieceTrie keys must be non-empty with a value");
    FT_CHECK(i == 0 || keys[i - 1].first != keys[i].first, "PieceTrie keys must be distinct");
  }

  std::vector<uint32_t> check;
  std::vector<uint32_t> base;
  std::vector<int32_t> value;
  FreeList free_units(check);
  free_units.extend(1);
  free_units.take(0, kRootCheck);

  // Depth-first with an explicit stack: a piece may be arbitrarily long, recursion could not be.
  struct Task {
    uint32_t node;
    size_t lo, hi, depth;  // keys[lo, hi) all start with the node's prefix of `depth` bytes
  };
  std::vector<Task> stack;
  if (!keys.empty()) stack.push_back({0, 0, keys.size(), 0});
  std::vector<std::pair<unsigned, size_t>> children;  // (label, first key) per child
  size_t max_base = 0;
  while (!stack.empty()) {
    const Task task = stack.back();
    stack.pop_back();
    size_t lo = task.lo;
    if (value.size() <= task.node) value.resize(check.size(), kNone);
    if (keys[lo].first.size() == task.depth)
      value[task.node] = keys[lo++].second;  // sorted: it comes first
    if (lo == task.hi) continue;             // a leaf: base stays 0

    children.clear();
    for (size_t i = lo; i < task.hi; ++i) {
      const auto label = static_cast<unsigned char>(keys[i].first[task.depth]);
      if (children.empty() || children.back().first != label) children.emplace_back(label, i);
    }
    // The base: the first free unit f (from the list's head) such that base = f - first label
    // puts every child on a free unit. Long probes are cut short by placing the children past
    // the end of the array, which keeps building linear.
    const unsigned first = children.front().first;
    size_t chosen = 0;
    int probes = 0;
    for (int64_t f = free_units.head(); f != kNoLink && probes < 64;
         f = free_units.next(f), ++probes) {
      if (static_cast<size_t>(f) < first + 1) continue;
      const size_t b = static_cast<size_t>(f) - first;
      free_units.extend(b + 256);
      bool fits = true;
      for (const auto& child : children) {
        if (check[b + child.first] != kFree) {
          fits = false;
          break;
        }
      }
      if (fits) {
        chosen = b;
        break;
      }
    }
    if (chosen == 0) chosen = std::max<size_t>(check.size(), first + 1) - first;
    FT_CHECK(chosen + 256 < kRootCheck, "the Unigram vocabulary is too large for its trie");
    free_units.extend(chosen + 256);
    if (base.size() <= task.node) base.resize(check.size(), 0);
    base[task.node] = static_cast<uint32_t>(chosen);
    max_base = std::max(max_base, chosen);
    for (size_t k = 0; k < children.size(); ++k) {
      const size_t child = chosen + children[k].first;
      free_units.take(child, task.node);
      const size_t end = k + 1 < children.size() ? children[k + 1].second : task.hi;
      stack.push_back({static_cast<uint32_t>(child), children[k].second, end, task.depth + 1});
    }
  }

  // Padding: every base + byte of a leaf (base 0) or an inner node lands inside the array.
  const size_t size = std::max(check.size(), max_base + 256);
  units_.assign(size, Unit{});
  for (size_t i = 0; i < check.size(); ++i) {
    units_[i].check = check[i];
    if (i < base.size()) units_[i].base = base[i];
    if (i < value.size()) units_[i].value = value[i];
  }
}

int32_t PieceTrie::find(std::string_view key) const {
  if (units_.empty() || key.empty()) return kNone;
  uint32_t node = 0;
  for (char c : key) {
    const uint32_t next = units_[node].base + static_cast<unsigned char>(c);
    if (units_[next].check != node) return kNone;
    node = next;
  }
  return units_[node].value;
}

// ---------------------------------------------------------------------------------------------
// Unigram

namespace {

// tokenizers' K_UNK_PENALTY: an unknown character scores this much below the worst piece.
constexpr double kUnkPenalty = 10.0;

}  // namespace

Unigram::Unigram(std::vector<Piece> pieces, std::optional<int32_t> unk_id, bool byte_fallback,
                 std::string origin)
    : unk_id_(unk_id), byte_fallback_(byte_fallback), origin_(std::move(origin)) {
  FT_CHECK(pieces.size() < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
           "too many Unigram pieces");
  FT_CHECK(!unk_id_ || (*unk_id_ >= 0 && static_cast<size_t>(*unk_id_) < pieces.size()),
           "Unigram unk_id outside the vocabulary (the builder checks it)");
  size_t bytes = 0;
  for (const Piece& p : pieces) bytes += p.text.size();
  FT_CHECK(bytes < UINT32_MAX, "Unigram vocabulary text too large");
  arena_.reserve(bytes);
  piece_begin_.reserve(pieces.size() + 1);
  scores_.reserve(pieces.size());
  vocab_.reserve(pieces.size());
  // HF: min_score starts at +infinity (an empty vocabulary keeps it; nothing is then scored).
  min_score_ = std::numeric_limits<double>::infinity();
  for (size_t id = 0; id < pieces.size(); ++id) {
    piece_begin_.push_back(static_cast<uint32_t>(arena_.size()));
    arena_.append(pieces[id].text);
    scores_.push_back(pieces[id].score);
    min_score_ = std::min(min_score_, pieces[id].score);
    vocab_.set(pieces[id].text, static_cast<int32_t>(id));  // a repeated piece: the later id wins
  }
  piece_begin_.push_back(static_cast<uint32_t>(arena_.size()));

  std::vector<std::pair<std::string_view, int32_t>> keys;
  keys.reserve(vocab_.size());
  vocab_.for_each([&](std::string_view token, int32_t id) {
    if (!token.empty()) keys.emplace_back(token, id);  // HF's trie never yields the empty piece
  });
  trie_.build(std::move(keys));

  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = vocab_.find(name);
  }
}

void Unigram::for_each_token(const std::function<void(std::string_view, int32_t)>& f) const {
  for (size_t id = 0; id + 1 < piece_begin_.size(); ++id) f(piece(id), static_cast<int32_t>(id));
}

void Unigram::fail_missing_unk(std::string_view word, size_t at) const {
  size_t end = at;
  const char32_t cp = utf8::decode(word, end);
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
  throw Error(cat(origin_,
                  ".unk_id: is not set, but the text has a character no vocabulary piece covers (",
                  code, " in '", word,
                  "'); HF tokenizers fails the same way (\"Encountered an unknown token but "
                  "`unk_id` is missing\")"));
}

void Unigram::push_unknown_run(std::string_view text, std::vector<int32_t>& ids) const {
  // HF looks the fused string up like any other path string.
  const int32_t id = vocab_.find(text);
  if (id != TokenTable::kMissing) {
    ids.push_back(id);
    return;
  }
  if (byte_fallback_) {
    bool all = true;
    for (char c : text)
      all = all && byte_ids_[static_cast<unsigned char>(c)] != TokenTable::kMissing;
    if (all) {
      for (char c : text) ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
      return;
    }
  }
  ids.push_back(*unk_id_);  // a run of unknown nodes exists only when unk_id does
}

void Unigram::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  // best[i]: the best path over word[0, i): its score, where its last node starts (-1: none yet)
  // and that node's id. Scratch per thread, reused across words.
  struct Node {
    double score;
    int32_t start;
    int32_t id;
  };
  thread_local std::vector<Node> best;
  thread_local std::vector<Node> path;
  const size_t n = word.size();
  FT_CHECK(n < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
           "word too long for Unigram");
  best.assign(n + 1, Node{0.0, -1, 0});
  const double unk_score = min_score_ - kUnkPenalty;

  size_t start = 0;
  while (start < n) {
    const size_t mblen = utf8::sequence_length(static_cast<unsigned char>(word[start]));
    const double here = best[start].score;
    bool has_single_node = false;
    trie_.for_each_prefix(word.data() + start, n - start, [&](size_t length, int32_t id) {
      Node& target = best[start + length];
      const double candidate = scores_[static_cast<size_t>(id)] + here;
      if (target.start < 0 || candidate > target.score)
        target = {candidate, static_cast<int32_t>(start), id};
      if (length == mblen) has_single_node = true;
    });
    if (!has_single_node) {
      Node& target = best[start + mblen];
      const double candidate = unk_score + here;
      if (target.start < 0 || candidate > target.score) {
        if (!unk_id_) fail_missing_unk(word, start);
        target = {candidate, static_cast<int32_t>(start), *unk_id_};
      }
    }
    start += mblen;
  }

  // Read the path back (end to start), then emit it in order, fusing runs of unk_id nodes.
  path.clear();
  for (size_t end = n; end > 0;) {
    const Node& node = best[end];
    path.push_back({0.0, node.start, node.id});
    end = static_cast<size_t>(node.start);
  }
  const int32_t unk = unk_id_.value_or(-1);
  size_t k = path.size();
  while (k > 0) {
    --k;
    const size_t begin = static_cast<size_t>(path[k].start);
    if (path[k].id != unk) {
      ids.push_back(path[k].id);
      continue;
    }
    // A run of unknown nodes: path[k], path[k-1], ... while their id is unk_id.
    while (k > 0 && path[k - 1].id == unk) --k;
    const size_t end = k > 0 ? static_cast<size_t>(path[k - 1].start) : n;
    push_unknown_run(word.substr(begin, end - begin), ids);
  }
}

// ---------------------------------------------------------------------------------------------
// Builder

std::unique_ptr<Model> build_unigram(const JsonView& node) {
  const Json& vocab = node.at("vocab").raw();
  if (!vocab.is_array()) {
    throw Error(cat(node.where(), ".vocab: expected a list of [piece, score] pairs, got ",
                    json_type_phrase(vocab)));
  }
  std::vector<Unigram::Piece> pieces;
  pieces.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    const Json& item = vocab[i];
    // Messages are built only on error: this loop runs once per piece (250k for XLM-R).
    if (!item.is_array() || item.size() != 2) {
      std::string shown = item.dump();
      if (shown.size() > 80) shown = shown.substr(0, 80) + "...";
      throw Error(cat(node.where(), ".vocab[", i, "]: expected [piece, score], got ", shown));
    }
    if (!item[0].is_string()) {
      throw Error(cat(node.where(), ".vocab[", i, "][0]: expected the piece (a string), got ",
                      json_type_phrase(item[0])));
    }
    if (!item[1].is_number()) {
      throw Error(cat(node.where(), ".vocab[", i, "][1]: expected the score of '",
                      item[0].get<std::string>(), "' (a number), got ", json_type_phrase(item[1])));
    }
    pieces.push_back({item[0].get<std::string>(), item[1].get<double>()});
  }

  std::optional<int32_t> unk_id;
  if (node.has("unk_id")) {
    const std::string where = node.where() + ".unk_id";
    unk_id = read_token_id(node.raw().at("unk_id"), where);
    if (pieces.empty()) {
      throw Error(cat(where, ": ", *unk_id,
                      " names a piece, but the vocabulary is empty (HF: EmptyVocabulary)"));
    }
    if (static_cast<size_t>(*unk_id) >= pieces.size()) {
      throw Error(cat(where, ": ", *unk_id, " is not an id of the vocabulary, which has ",
                      pieces.size(), " pieces (ids 0 to ", pieces.size() - 1, ")"));
    }
  }
  const bool byte_fallback = node.get_bool_or("byte_fallback", false);
  return std::make_unique<Unigram>(std::move(pieces), unk_id, byte_fallback, node.where());
}

}  // namespace finetune
