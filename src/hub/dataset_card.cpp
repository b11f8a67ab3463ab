// Reading a dataset card's `configs:` block: cut the block out of the front matter, parse it with
// an indentation-based reader for the YAML subset cards use (YAML 1.2 block collections and
// scalars), then interpret it the way `datasets`' MetadataConfigs does.
#include "hub/dataset_card.h"

#include <algorithm>
#include <memory>

#include "core/error.h"

namespace finetune {
namespace {

struct Node {
  enum Kind { kNull, kScalar, kSeq, kMap } kind = kNull;
  std::string scalar;
  std::vector<Node> items;
  std::vector<std::pair<std::string, Node>> entries;

  // Declared here, defined after the class: std::pair<std::string, Node> needs Node complete, and
  // clang with libstdc++ instantiates the members' special functions inside the class body.
  Node();
  Node(const Node&);
  Node(Node&&) noexcept;
  Node& operator=(const Node&);
  Node& operator=(Node&&) noexcept;
  ~Node();
  const Node* get(const std::string& key) const;
};

Node::Node() = default;
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;
Node::~Node() = default;

const Node* Node::get(const std::string& key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

struct Line {
  int indent;
  std::string text;
  int number;  // 1-based line of README.md
};

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0;
  while (a < s.size() && (s[a] == ' ' || s[a] == '\t')) ++a;
  return rtrim(s.substr(a));
}

// Drops a comment: '#' at the start or after whitespace, outside quotes.
std::string strip_comment(const std::string& text) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      return rtrim(text.substr(0, i));
    }
  }
  return rtrim(text);
}

class Reader {
 public:
  Reader(std::vector<Line> lines, std::string origin)
      : lines_(std::move(lines)), origin_(std::move(origin)) {}

  Node parse() {
    if (lines_.empty()) return Node{};
    Node node = block(lines_[0].indent);
    if (pos_ < lines_.size()) fail(lines_[pos_], "unexpected indentation");
    return node;
  }

 private:
  [[noreturn]] void fail(const Line& line, const std::string& what) const {
    throw Error(cat(origin_, ":", line.number, ": cannot read the dataset card's `configs:` YAML (",
                    what, "): '", line.text.substr(0, 80), "'"));
  }

  static bool is_item(const std::string& text) { return text == "-" || text.rfind("- ", 0) == 0; }

  // The position of the ':' that ends a mapping key ("key: value" or "key:"), or npos.
  static size_t key_colon(const std::string& text) {
    size_t i = 0;
    if (!text.empty() && (text[0] == '"' || text[0] == '\'')) {
      const size_t close = text.find(text[0], 1);
      if (close == std::string::npos) return std::string::npos;
      i = close + 1;
    }
    for (; i < text.size(); ++i) {
      if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ')) return i;
      if (i == 0 && (text[i] == '[' || text[i] == '{')) return std::string::npos;  // a flow value
    }
    return std::string::npos;
  }

  Node block(int indent) {
    const Line& line = lines_[pos_];
    if (line.indent < indent) return Node{};
    return is_item(line.text) ? sequence(line.indent) : mapping(line.indent);
  }

  Node sequence(int indent) {
    Node node;
    node.kind = Node::kSeq;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && is_item(lines_[pos_].text)) {
      Line& line = lines_[pos_];
      size_t skip = 1;
      while (skip < line.text.size() && line.text[skip] == ' ') ++skip;
      const std::string rest = line.text.substr(skip);
      if (rest.empty()) {  // "-" alone: the item is the block below
        ++pos_;
        node.items.push_back(
            pos_ < lines_.size() && lines_[pos_].indent > indent ? block(indent + 1) : Node{});
      } else if (key_colon(rest) != std::string::npos) {
        // "- key: value": a mapping whose first entry shares the dash's line; its other entries
        // are indented to where `key` starts.
        line.indent = indent + static_cast<int>(skip);
        line.text = rest;
        node.items.push_back(mapping(line.indent));
      } else if (is_item(rest)) {
        line.indent = indent + static_cast<int>(skip);
        line.text = rest;
        node.items.push_back(sequence(line.indent));
      } else {
        node.items.push_back(scalar_or_flow(rest, line));
        ++pos_;
      }
    }
    return node;
  }

  Node mapping(int indent) {
    Node node;
    node.kind = Node::kMap;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && !is_item(lines_[pos_].text)) {
      const Line& line = lines_[pos_];
      const size_t colon = key_colon(line.text);
      if (colon == std::string::npos) fail(line, "expected 'key: value'");
      std::string key = unquote(trim(line.text.substr(0, colon)), line);
      const std::string value = trim(line.text.substr(colon + 1));
      ++pos_;
      Node child;
      if (value == "|" || value == ">" || value == "|-" || value == ">-") {
        // A block scalar: the more-indented lines that follow, joined.
        child.kind = Node::kScalar;
        while (pos_ < lines_.size() && lines_[pos_].indent > indent)
          child.scalar += lines_[pos_++].text + "\n";
      } else if (!value.empty()) {
        child = scalar_or_flow(value, line);
      } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
        child = block(indent + 1);
      } else if (pos_ < lines_.size() && lines_[pos_].indent == indent &&
                 is_item(lines_[pos_].text)) {
        child = sequence(indent);  // a sequence may sit at its key's indentation
      }
      node.entries.emplace_back(std::move(key), std::move(child));
    }
    return node;
  }

  std::string unquote(const std::string& text, const Line& line) const {
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
      std::string out;
      for (size_t i = 1; i + 1 < text.size(); ++i) {
        out += text[i];
        if (text[i] == '\'' && text[i + 1] == '\'') ++i;  // '' is a quote
      }
      return out;
    }
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      std::string out;
      for (size_t i = 1; i + 1 < text.size(); ++i) {
        if (text[i] == '\\' && i + 2 < text.size()) {
          const char e = text[++i];
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          out += text[i];
        }
      }
      return out;
    }
    if (!text.empty() && (text.front() == '"' || text.front() == '\''))
      fail(line, "unterminated quote");
    return text;
  }

  // Splits a flow collection's inside on commas outside quotes and brackets.
  std::vector<std::string> split_flow(const std::string& inside, const Line& line) const {
    std::vector<std::string> parts;
    std::string current;
    char quote = 0;
    int depth = 0;
    for (char c : inside) {
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        --depth;
      } else if (c == ',' && depth == 0) {
        parts.push_back(trim(current));
        current.clear();
        continue;
      }
      current += c;
    }
    if (quote || depth != 0) fail(line, "unbalanced flow collection");
    if (!trim(current).empty()) parts.push_back(trim(current));
    return parts;
  }

  Node scalar_or_flow(const std::string& text, const Line& line) {
    Node node;
    if (text.front() == '[') {
      if (text.back() != ']') fail(line, "unclosed '['");
      node.kind = Node::kSeq;
      for (const auto& part : split_flow(text.substr(1, text.size() - 2), line)) {
        node.items.push_back(scalar_or_flow(part, line));
      }
      return node;
    }
    if (text.front() == '{') {
      if (text.back() != '}') fail(line, "unclosed '{'");
      node.kind = Node::kMap;
      for (const auto& part : split_flow(text.substr(1, text.size() - 2), line)) {
        const size_t colon = key_colon(part);
        if (colon == std::string::npos) fail(line, "expected 'key: value' in '{...}'");
        node.entries.emplace_back(unquote(trim(part.substr(0, colon)), line),
                                  scalar_or_flow(trim(part.substr(colon + 1)), line));
      }
      return node;
    }
    node.kind = Node::kScalar;
    node.scalar = unquote(text, line);
    return node;
  }

  std::vector<Line> lines_;
  std::string origin_;
  size_t pos_ = 0;
};

// Patterns from a data_files value: a string or a list of strings.
std::vector<std::string> patterns_of(const Node& node, const std::string& origin,
                                     const std::string& config) {
  std::vector<std::string> patterns;
  if (node.kind == Node::kScalar) {
    patterns.push_back(node.scalar);
  } else if (node.kind == Node::kSeq) {
    for (const Node& item : node.items) {
      if (item.kind != Node::kScalar) {
        throw Error(cat(origin, ": config '", config,
                        "': a data_files path must be a string or a list of strings"));
      }
      patterns.push_back(item.scalar);
    }
  } else {
    throw Error(cat(origin, ": config '", config,
                    "': data_files paths must be a string or a list of strings"));
  }
  return patterns;
}

bool yaml_true(const std::string& s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "yes";
}

}  // namespace

std::optional<std::string> dataset_card_front_matter(const std::string& readme) {
  std::string text = readme;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text = text.substr(3);
  if (text.rfind("---", 0) != 0) return std::nullopt;
  const size_t first_end = text.find('\n');
  if (first_end == std::string::npos || rtrim(text.substr(0, first_end)) != "---")
    return std::nullopt;
  for (size_t at = first_end + 1; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (rtrim(text.substr(at, end - at)) == "---")
      return text.substr(first_end + 1, at - first_end - 1);
    at = end + 1;
  }
  return std::nullopt;
}

std::vector<DatasetCardConfig> parse_dataset_card_configs(const std::string& readme,
                                                          const std::string& origin) {
  std::optional<std::string> front = dataset_card_front_matter(readme);
  if (!front) return {};
  // The `configs:` block: its key line at column 0, then every line that is blank, indented,
  // a comment, or a sequence item at column 0 (YAML lets a top-level key's list start there).
  std::vector<Line> lines;
  bool inside = false;
  int number = 1;  // the "---" line
  std::string inline_value;
  size_t at = 0;
  while (at <= front->size()) {
    size_t end = front->find('\n', at);
    if (end == std::string::npos) end = front->size();
    const std::string raw = rtrim(front->substr(at, end - at));
    ++number;
    at = end + 1;
    if (!inside) {
      if (raw.rfind("configs:", 0) == 0) {
        inside = true;
        inline_value = trim(strip_comment(raw.substr(8)));
      }
      continue;
    }
    const std::string text = strip_comment(raw);
    if (trim(text).empty()) continue;
    if (text[0] != ' ' && text[0] != '-') break;  // the next top-level key
    int indent = 0;
    while (indent < static_cast<int>(text.size()) && text[static_cast<size_t>(indent)] == ' ')
      ++indent;
    lines.push_back(Line{indent, text.substr(static_cast<size_t>(indent)), number});
    if (end == front->size()) break;
  }
  if (!inside) return {};
  Node root;
  if (!inline_value.empty()) {
    Reader reader({Line{0, "configs: " + inline_value, 0}}, origin);
    Node wrapper = reader.parse();
    root = wrapper.entries.at(0).second;
  } else {
    root = Reader(std::move(lines), origin).parse();
  }
  if (root.kind == Node::kNull) return {};
  if (root.kind != Node::kSeq)
    throw Error(cat(origin, ": `configs:` must be a list of configurations"));

  std::vector<DatasetCardConfig> configs;
  for (const Node& item : root.items) {
    if (item.kind != Node::kMap)
      throw Error(cat(origin, ": each entry of `configs:` must be a mapping"));
    DatasetCardConfig config;
    if (const Node* name = item.get("config_name"); name && name->kind == Node::kScalar)
      config.name = name->scalar;
    if (const Node* d = item.get("default"); d && d->kind == Node::kScalar)
      config.is_default = yaml_true(d->scalar);
    if (const Node* dir = item.get("data_dir"); dir && dir->kind == Node::kScalar)
      config.data_dir = dir->scalar;
    if (const Node* files = item.get("data_files"); files && files->kind != Node::kNull) {
      if (files->kind == Node::kScalar) {
        config.data_files.emplace_back("train", patterns_of(*files, origin, config.name));
      } else if (files->kind == Node::kMap) {
        for (const auto& [split, value] : files->entries) {
          config.data_files.emplace_back(split, patterns_of(value, origin, config.name));
        }
      } else if (std::all_of(files->items.begin(), files->items.end(),
                             [](const Node& n) { return n.kind == Node::kScalar; })) {
        config.data_files.emplace_back("train", patterns_of(*files, origin, config.name));
      } else {
        for (const Node& entry : files->items) {
          const Node* split = entry.get("split");
          const Node* path = entry.get("path");
          if (entry.kind != Node::kMap || path == nullptr) {
            throw Error(cat(origin, ": config '", config.name,
                            "': each data_files entry needs `split` and `path`"));
          }
          config.data_files.emplace_back(
              split && split->kind == Node::kScalar ? split->scalar : "train",
              patterns_of(*path, origin, config.name));
        }
      }
    }
    for (const auto& c : configs) {
      if (c.name == config.name)
        throw Error(cat(origin, ": config '", config.name, "' is declared twice"));
    }
    configs.push_back(std::move(config));
  }
  return configs;
}

}  // namespace finetune
