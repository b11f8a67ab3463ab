// The fuzz entry points (see entry_points.h): each hands one input to a reader and exercises what
// the reader returned, catching only finetune::Error.
#include "entry_points.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "data/dataset.h"
#include "data/labels.h"
#include "data/text_lines.h"
#include "hub/dataset_card.h"
#include "io/glob.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/tensor_source.h"
#include "io/torch_checkpoint.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/params.h"
#include "tokenizer/tokenizer.h"

#include <openssl/evp.h>

#include "io/file.h"

namespace finetune::fuzz {
namespace {

namespace fs = std::filesystem;

// Tensors larger than this are not read back (a stride-0 PyTorch view may legitimately describe
// far more elements than its file holds; reading it whole would only measure the allocator).
constexpr int64_t kMaxElementsRead = int64_t{1} << 22;

// Readers that take a path get the input as a file in a per-process scratch directory, in memory
// (/dev/shm) where there is one, so the fuzzer is not bound by the disk.
class Scratch {
 public:
  Scratch() {
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("finetune-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // The program's notices (fresh heads, unused tensors) would drown the fuzzer's output.
    set_log_sink([](LogLevel, const std::string&) {});
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, const uint8_t* data, size_t size) const {
    fs::path path = dir_ / name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();  // the harness itself is broken: stop loudly
    while (size > 0) {
      ssize_t done = ::write(fd, data, size);
      if (done <= 0) std::abort();
      data += done;
      size -= static_cast<size_t>(done);
    }
    ::close(fd);
    return path;
  }
  fs::path write(const std::string& name, std::string_view text) const {
    return write(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }
  // A subdirectory of the scratch directory (created when missing), for readers that take a
  // directory of files with fixed names.
  fs::path subdirectory(const std::string& name) const {
    fs::create_directories(dir_ / name);
    return dir_ / name;
  }
  void remove(const std::string& name) const {
    std::error_code ec;
    fs::remove(dir_ / name, ec);
  }

 private:
  fs::path dir_;
};

const Scratch& scratch() {
  static const Scratch instance;
  return instance;
}

std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `body`, accepting finetune::Error (a refusal with a reason) and nothing else.
template <typename Body>
void refusals_allowed(Body&& body) {
  try {
    body();
  } catch (const Error&) {
  }
}

void read_all_tensors(const TensorSource& source) {
  std::vector<float> values;
  for (const SourceTensor& t : source.tensors()) {
    const bool floating = t.dtype == StDType::F32 || t.dtype == StDType::F16 ||
                          t.dtype == StDType::BF16 || t.dtype == StDType::F64;
    const int64_t n = t.numel();
    if (!floating || n > kMaxElementsRead) continue;
    values.resize(static_cast<size_t>(n));
    source.read_as_f32(t, values.data(), n);
  }
}

// --- model files ------------------------------------------------------------------------------

void safetensors(const uint8_t* data, size_t size) {
  const fs::path path = scratch().write("model.safetensors", data, size);
  refusals_allowed([&] {
    SafetensorsFile file(path);
    std::vector<float> values;
    for (const StTensorInfo& info : file.tensors()) {
      (void)file.find(info.name);
      (void)info.shape_str();
      const bool floating = info.dtype == StDType::F32 || info.dtype == StDType::F16 ||
                            info.dtype == StDType::BF16 || info.dtype == StDType::F64;
      if (!floating || info.numel() > kMaxElementsRead) continue;
      values.resize(static_cast<size_t>(info.numel()));
      file.read_as_f32(info, values.data(), info.numel());
    }
  });
  refusals_allowed([&] { read_all_tensors(*open_tensor_source(path)); });
}

// A BERT small enough that a complete checkpoint of it is a 1.5 KB seed.
const ModelConfig& micro_config() {
  static const ModelConfig config = parse_model_config(
      Json::parse(R"({"model_type": "bert", "vocab_size": 16, "hidden_size": 4,
                      "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8,
                      "max_position_embeddings": 8, "type_vocab_size": 2,
                      "id2label": {"0": "no", "1": "yes"}})"),
      "micro config");
  return config;
}

void checkpoint(const uint8_t* data, size_t size) {
  const fs::path path = scratch().write("model.safetensors", data, size);
  refusals_allowed([&] {
    ParameterStore store(micro_config());
    load_weights({path}, micro_config(), store.params(), 0);
  });
}

void config(const uint8_t* data, size_t size) {
  refusals_allowed([&] {
    ModelConfig parsed = parse_model_config(parse_json_text(std::string(as_text(data, size)), "config.json"),
                                            "config.json");
    (void)parameter_count(parsed);
    (void)config_to_json(parsed).dump();
  });
}

void torch_pickle(const uint8_t* data, size_t size) {
  refusals_allowed([&] { (void)unpickle_state_dict(as_text(data, size), "data.pkl"); });
}

void torch_checkpoint(const uint8_t* data, size_t size) {
  const fs::path path = scratch().write("pytorch_model.bin", data, size);
  refusals_allowed([&] {
    TorchCheckpoint file(path);
    read_all_tensors(file);
  });
}

// --- tokenizers -------------------------------------------------------------------------------

// Texts every loaded tokenizer encodes: ASCII, punctuation, accents, CJK, an added-token lookalike,
// a long word, control and zero-width characters.
const char* const kSampleTexts[] = {
    "Hello, world! I'm feeling unaffable today.",
    "[CLS] caf\xc3\xa9 na\xc3\xafve \xe4\xb8\xad\xe6\x96\x87 [MASK] [SEP]",
    "a\tb\r\nc\xe2\x80\x8b d\x01 e\xef\xbf\xbd",
    ("supercalifragilisticexpialidocioussupercalifragilisticexpialidocioussupercalifragilistic"
     "expialidocioussupercalifragilisticexpialidocious"),
    "",
};

void exercise(const Tokenizer& tokenizer) {
  for (const char* text : kSampleTexts) {
    for (size_t max_length : {size_t{0}, size_t{1}, size_t{3}, size_t{8}}) {
      Encoding e = tokenizer.encode(text, max_length);
      for (int32_t id : e.ids) (void)tokenizer.id_to_token(id);
    }
  }
  (void)tokenizer.vocab_size();
  (void)tokenizer.num_special_tokens();
  refusals_allowed([&] { (void)tokenizer.pad_id(); });
}

void tokenizer_json(const uint8_t* data, size_t size) {
  refusals_allowed([&] {
    Tokenizer tokenizer =
        Tokenizer::from_json(parse_json_text(std::string(as_text(data, size)), "tokenizer.json"), "tokenizer.json");
    exercise(tokenizer);
  });
}

void vocab_txt(const uint8_t* data, size_t size) {
  // vocab.txt, then optionally a NUL byte and tokenizer_config.json.
  const std::string_view input = as_text(data, size);
  const size_t split = input.find('\0');
  const fs::path vocab = scratch().write("vocab.txt", input.substr(0, split));
  fs::path config;
  if (split != std::string_view::npos) config = scratch().write("tokenizer_config.json", input.substr(split + 1));
  refusals_allowed([&] { exercise(Tokenizer::from_vocab_txt(vocab, config)); });
}

// Real tokenizers (the committed fixtures, and bert-base-uncased from ../shared when present),
// loaded once; the input picks one and a max_length, and the rest is the text.
const std::vector<Tokenizer>& real_tokenizers() {
  static const std::vector<Tokenizer> tokenizers = [] {
    const fs::path root = FINETUNE_SOURCE_DIR;
    std::vector<Tokenizer> list;
    list.push_back(Tokenizer::from_tokenizer_json(root / "tests/fixtures/tiny-bert/tokenizer.json"));
    list.push_back(Tokenizer::from_vocab_txt(root / "tests/fixtures/tiny-bert/vocab.txt",
                                             root / "tests/fixtures/tiny-bert/tokenizer_config.json"));
    const fs::path shared = root / "../shared/models/bert-base-uncased/tokenizer.json";
    if (fs::exists(shared)) list.push_back(Tokenizer::from_tokenizer_json(shared));
    // One directory per other pipeline kind: byte-level BPE (tokenizer.json, legacy files,
    // ModernBERT's Split), Unigram with Precompiled (tokenizer.json), and SentencePiece models.
    for (const char* name : {"roberta-bpe", "roberta-bpe-legacy", "modernbert-bpe", "xlmr-unigram", "albert-unigram",
                             "deberta-v3-spm", "camembert-spm"}) {
      list.push_back(Tokenizer::from_directory(root / "tests/fixtures/tokenizers" / name));
    }
    return list;
  }();
  return tokenizers;
}

// Byte 0 picks the tokenizer (and, for pairs, the truncation strategy), byte 1 max_length; the
// rest is the text, or a pair split at the first 0x1F byte.
void tokenizer_encode(const uint8_t* data, size_t size) {
  if (size < 2) return;
  const std::vector<Tokenizer>& tokenizers = real_tokenizers();
  const Tokenizer& tokenizer = tokenizers[data[0] % tokenizers.size()];
  const size_t max_length = data[1];
  const std::string_view input = as_text(data + 2, size - 2);
  const size_t split = input.find('\x1f');
  refusals_allowed([&] {
    Encoding e;
    size_t special = tokenizer.num_special_tokens();
    if (split == std::string_view::npos) {
      e = tokenizer.encode(input, max_length);
    } else {
      const auto strategy = static_cast<TruncationStrategy>((data[0] / tokenizers.size()) % 3);
      e = tokenizer.encode_pair(input.substr(0, split), input.substr(split + 1), max_length, strategy);
      special = tokenizer.num_special_tokens_pair();
    }
    if (e.ids.size() != e.type_ids.size() || e.ids.size() != e.attention_mask.size()) std::abort();
    if (max_length >= special && max_length > 0 && e.ids.size() > max_length) std::abort();
    for (int32_t id : e.ids) {
      if (id < 0 || static_cast<size_t>(id) >= tokenizer.vocab_size()) std::abort();
    }
  });
}

// Model objects of tokenizer.json: the input is the JSON of `model` (its type forced to BPE /
// Unigram), placed in a fixed document with the pre-tokenizer that model usually comes with.
void tokenizer_model(const uint8_t* data, size_t size, const char* type, Json pre_tokenizer) {
  refusals_allowed([&] {
    Json model = parse_json_text(std::string(as_text(data, size)), "model");
    if (model.is_object()) model["type"] = type;
    Json document = {{"model", std::move(model)}, {"pre_tokenizer", std::move(pre_tokenizer)}};
    exercise(Tokenizer::from_json(document, "tokenizer.json"));
  });
}

void bpe_model(const uint8_t* data, size_t size) {
  tokenizer_model(data, size, "BPE", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}});
}

void unigram_model(const uint8_t* data, size_t size) {
  tokenizer_model(data, size, "Unigram",
                  {{"type", "Metaspace"}, {"replacement", "\xe2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}});
}

// merges.txt beside the roberta-bpe fixture's vocab.json and tokenizer_config.json.
void merges_txt(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    const fs::path source = fs::path(FINETUNE_SOURCE_DIR) / "tests/fixtures/tokenizers/roberta-bpe-legacy";
    const fs::path target = scratch().subdirectory("merges_txt");
    for (const char* name : {"vocab.json", "tokenizer_config.json"}) {
      fs::copy_file(source / name, target / name, fs::copy_options::overwrite_existing);
    }
    return target;
  }();
  scratch().write("merges_txt/merges.txt", data, size);
  refusals_allowed([&] { exercise(Tokenizer::from_directory(dir)); });
}

// A SentencePiece model: byte 0 picks the transformers class (its tokenizer_config.json and
// file name), the rest is the .model file.
void sentencepiece_model(const uint8_t* data, size_t size) {
  if (size < 1) return;
  struct Kind {
    const char* file;
    const char* config;
  };
  static const Kind kinds[] = {
      {"spm.model", R"({"tokenizer_class": "DebertaV2Tokenizer", "do_lower_case": false})"},
      {"sentencepiece.bpe.model", R"({"tokenizer_class": "XLMRobertaTokenizer"})"},
      {"sentencepiece.bpe.model", R"({"tokenizer_class": "CamembertTokenizer"})"},
      {"spiece.model", R"({"tokenizer_class": "AlbertTokenizer", "do_lower_case": true})"},
  };
  const Kind& kind = kinds[data[0] % 4];
  const std::string dir_name = "spm_" + std::to_string(data[0] % 4);
  const fs::path dir = scratch().subdirectory(dir_name);
  scratch().write(dir_name + "/tokenizer_config.json", kind.config);
  scratch().write(dir_name + "/" + kind.file, data + 1, size - 1);
  refusals_allowed([&] { exercise(Tokenizer::from_directory(dir)); });
}

// A Precompiled charsmap blob (raw bytes; base64-encoded into the normalizer object here), used
// to normalize the sample texts in front of a WordLevel model that maps everything to <unk>.
void precompiled_charsmap(const uint8_t* data, size_t size) {
  std::string base64(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), data, static_cast<int>(size));
  base64.resize(static_cast<size_t>(n));
  Json document = {
      {"normalizer", {{"type", "Precompiled"}, {"precompiled_charsmap", base64}}},
      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
      {"model", {{"type", "WordLevel"}, {"vocab", {{"<unk>", 0}, {"a", 1}}}, {"unk_token", "<unk>"}}}};
  refusals_allowed([&] { exercise(Tokenizer::from_json(document, "tokenizer.json")); });
}

// --- datasets and text inputs -------------------------------------------------------------------

// What training does with a dataset: resolve the label names and map every example's label.
void use_dataset(const Dataset& dataset) {
  LabelNames labels = resolve_label_names(dataset, nullptr);
  (void)map_labels(dataset, labels);
  for (size_t i : {size_t{0}, dataset.size() - 1}) {
    (void)dataset.where(i);
    (void)dataset.raw_label(i);
  }
}

template <typename Reader>
void dataset_file(const char* name, const uint8_t* data, size_t size, Reader&& read) {
  const fs::path path = scratch().write(name, data, size);
  refusals_allowed([&] { use_dataset(read(path)); });
}

void dataset_text(const uint8_t* data, size_t size) {
  dataset_file("input.txt", data, size, [](const fs::path& p) { return read_text_dataset(p, {}); });
}

void dataset_delimited(const uint8_t* data, size_t size) {
  // The first byte picks CSV or TSV, and whether only the first 3 examples are read (--limit).
  if (size < 1) return;
  const bool csv = (data[0] & 1) == 0;
  DatasetOptions options;
  if (data[0] & 2) options.limit = 3;
  dataset_file(csv ? "input.csv" : "input.tsv", data + 1, size - 1, [&](const fs::path& p) {
    return read_delimited_dataset(p, options, csv ? ',' : '\t');
  });
}

void dataset_jsonl(const uint8_t* data, size_t size) {
  dataset_file("input.jsonl", data, size, [](const fs::path& p) { return read_jsonl_dataset(p, {}); });
}

void dataset_parquet(const uint8_t* data, size_t size) {
  dataset_file("input.parquet", data, size, [](const fs::path& p) { return read_parquet_dataset(p, {}); });
}

void text_lines(const uint8_t* data, size_t size) {
  // The first byte sets the line limit (1..256 bytes, so the fuzzer reaches the refusal), then
  // the file is read line by line and in chunks of 3 lines.
  if (size < 1) return;
  const size_t limit = size_t{data[0]} + 1;
  const fs::path path = scratch().write("input.txt", data + 1, size - 1);
  refusals_allowed([&] {
    TextLineReader reader(path, limit);
    size_t lines = 0;
    for (std::string line; reader.next(line);) {
      if (line.size() > limit || line.find('\n') != std::string::npos) std::abort();
      ++lines;
    }
    if (reader.line_number() != lines) std::abort();
  });
  refusals_allowed([&] {
    TextLineReader reader(path, limit);
    std::vector<std::string> chunk;
    while (reader.next_chunk(chunk, 3, 64)) {
      if (chunk.empty() || chunk.size() > 3) std::abort();
    }
  });
}

void dataset_card(const uint8_t* data, size_t size) {
  // A hub dataset's README.md: its configs, and every pattern matched as split resolution does.
  const std::string readme(as_text(data, size));
  refusals_allowed([&] {
    (void)dataset_card_front_matter(readme);
    for (const DatasetCardConfig& config : parse_dataset_card_configs(readme, "README.md")) {
      for (const auto& [split, patterns] : config.data_files) {
        for (const std::string& pattern : patterns) {
          for (const char* file : {"data/train-00000-of-00001.parquet", "train.csv", "a/b/c/d/e/f/g/h.jsonl",
                                   "README.md"}) {
            (void)glob_match(pattern, file, GlobStyle::kPath);
            (void)glob_match(pattern, file, GlobStyle::kFnmatch);
          }
        }
      }
    }
  });
}

}  // namespace

const std::vector<Target>& all_targets() {
  static const std::vector<Target> targets = {
      {"safetensors", safetensors},
      {"checkpoint", checkpoint},
      {"config", config},
      {"torch_pickle", torch_pickle},
      {"torch_checkpoint", torch_checkpoint},
      {"tokenizer_json", tokenizer_json},
      {"vocab_txt", vocab_txt},
      {"tokenizer_encode", tokenizer_encode},
      {"bpe_model", bpe_model},
      {"unigram_model", unigram_model},
      {"merges_txt", merges_txt},
      {"sentencepiece_model", sentencepiece_model},
      {"precompiled_charsmap", precompiled_charsmap},
      {"dataset_text", dataset_text},
      {"dataset_delimited", dataset_delimited},
      {"dataset_jsonl", dataset_jsonl},
      {"dataset_parquet", dataset_parquet},
      {"text_lines", text_lines},
      {"dataset_card", dataset_card},
  };
  return targets;
}

EntryPoint find_target(std::string_view name) {
  for (const Target& target : all_targets()) {
    if (name == target.name) return target.run;
  }
  return nullptr;
}

}  // namespace finetune::fuzz
