// Helpers shared by the tokenizer tests: where the goldens and models are, readable dumps of
// strings and id lists for failure messages, and the emotion texts.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "data/text_lines.h"
#include "tokenizer/tokenizer.h"
#include "test_paths.h"

namespace finetune::testing {

inline std::filesystem::path golden_dir() {
  return test_data_dir() / "tokenizer";
}
inline std::filesystem::path bert_dir() {
  return shared_dir() / "models" / "bert-base-uncased";
}
inline std::filesystem::path distilbert_dir() {
  return shared_dir() / "models" / "distilbert-base-uncased";
}

// A string with everything outside printable ASCII escaped (\xNN), for failure messages; long
// strings are cut after `limit` bytes.
inline std::string escaped(std::string_view text, size_t limit = 120) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, limit)) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7F && b != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 15]);
    }
  }
  if (text.size() > limit) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

// tools/make_tokenizer_goldens.py's digest: FNV-1a 64 over ids, -1, type_ids, -1,
// attention_mask, each value as 4 little-endian bytes; 16 lowercase hex digits.
inline std::string digest(const Encoding& e) {
  uint64_t h = 0xCBF29CE484222325ULL;
  auto add = [&h](int32_t value) {
    auto u = static_cast<uint32_t>(value);
    for (int k = 0; k < 4; ++k) {
      h ^= (u >> (8 * k)) & 0xFF;
      h *= 0x100000001B3ULL;
    }
  };
  for (int32_t v : e.ids) add(v);
  add(-1);
  for (int32_t v : e.type_ids) add(v);
  add(-1);
  for (int32_t v : e.attention_mask) add(v);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

// Runs `body`, expects a finetune::Error and returns its message ("" when none was thrown).
// FINETUNE_SHOW_ERRORS=1 prints the messages, to read them.
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    if (std::getenv("FINETUNE_SHOW_ERRORS")) std::cerr << "message: " << e.what() << "\n";
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected finetune::Error, got another exception: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected finetune::Error, nothing was thrown";
  return "";
}

inline std::string join(const std::vector<int32_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

// The emotion texts in golden order: train.txt then validation.txt, each line's text being the
// part before its last ';' (the label follows it). `origins` gets "train.txt:LINE".
inline std::vector<std::string> emotion_texts(std::vector<std::string>* origins = nullptr) {
  std::vector<std::string> texts;
  for (const char* split : {"train", "validation"}) {
    auto path = shared_dir() / "data" / "emotion" / (std::string(split) + ".txt");
    auto lines = read_text_lines(path);
    for (size_t i = 0; i < lines.size(); ++i) {
      size_t semicolon = lines[i].rfind(';');
      texts.push_back(semicolon == std::string::npos ? lines[i] : lines[i].substr(0, semicolon));
      if (origins) origins->push_back(std::string(split) + ".txt:" + std::to_string(i + 1));
    }
  }
  return texts;
}

}  // namespace finetune::testing
