// The whole model against PyTorch + transformers (DESIGN.md principle 6, model level): logits,
// the last hidden state and BERT's pooler output for a padded batch of real emotion texts, per
// checkpoint in tests/fixtures (every family, both activations, BF16/F16 storage, base and
// pretraining checkpoints with a fresh head), sentence pairs through the pair template, RoBERTa's
// position ids, plus padding invariance: each text alone gives the logits it gets inside the
// padded batch.
//
// Inputs are the reference's own input_ids/attention_mask, so these tests isolate the model from
// the tokenizer (which has its own goldens). Every output is compared with the exact (float64)
// computation and held to the per-element bound on fp32 rounding that tools/make_error_bounds.py
// derives from the computation (error_bounds.h; docs/numerics.md, "Model").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include "core/log.h"
#include "data/batch.h"
#include "error_bounds.h"
#include "io/json.h"
#include "model/forward.h"
#include "model/model.h"
#include "reference.h"
#include "test_paths.h"

namespace finetune {
namespace {

// Checks `n` fp32 results against the bound for `tensor`, naming the worst element on failure.
void expect_within_bound(const testing::ErrorBounds& bounds, const std::string& where,
                         const std::string& tensor, const float* got, size_t n) {
  testing::BoundCheck c = bounds.check(tensor, got, n);
  EXPECT_TRUE(c.passed()) << where << ": " << c.describe(tensor);
  // How much of the bound is used, in the test report (--gtest_output=json): docs/numerics.md
  // quotes these margins.
  ::testing::Test::RecordProperty("bound_ratio." + tensor, std::to_string(c.ratio));
}

struct Case {
  std::string name;  // fixture directory and reference name
  bool has_head;     // the reference has logits (a ForSequenceClassification checkpoint)
  // The bounds to compare with, when not the fixture's own: a pretraining checkpoint whose
  // encoder is bitwise the classifier's (tools/make_family_fixtures.py) has the same
  // last_hidden_state, so it uses the classifier's bounds.
  std::string bounds = "";
  std::string bounds_name() const { return bounds.empty() ? name : bounds; }
};

std::vector<Case> cases() {
  return {{"tiny-distilbert", true},
          {"tiny-bert", true},
          {"tiny-bert-gelu-tanh", true},
          {"tiny-bert-bf16", true},
          {"tiny-distilbert-f16", true},
          {"tiny-distilbert-base", false},
          {"tiny-distilbert-mlm", false},
          {"tiny-bert-base", false},
          {"tiny-bert-mlm", false},
          {"tiny-roberta", true},
          {"tiny-xlm-roberta", true},
          {"tiny-camembert", true},
          {"tiny-electra", true},
          {"tiny-electra-same-width", true},
          {"tiny-roberta-base", false},
          {"tiny-roberta-mlm", false, "tiny-roberta"},
          {"tiny-electra-discriminator", false, "tiny-electra"},
          {"tiny-modernbert", true},
          {"tiny-modernbert-mean", true},
          {"tiny-modernbert-base", false, "tiny-modernbert"},
          {"tiny-modernbert-mlm", false, "tiny-modernbert"}};
}

// The classifiers whose references also hold sentence pairs (tools/make_family_fixtures.py).
std::vector<Case> pair_cases() {
  return {{"tiny-roberta", true},
          {"tiny-xlm-roberta", true},
          {"tiny-camembert", true},
          {"tiny-electra", true},
          {"tiny-electra-same-width", true},
          {"tiny-modernbert", true},
          {"tiny-modernbert-mean", true}};
}

// A batch built straight from the reference's int tensors.
struct ReferenceBatch {
  std::vector<int32_t> ids, types, mask;
  BatchView view;
};

// `prefix` "pair_" selects the reference's sentence-pair batch.
ReferenceBatch reference_batch(const testing::Reference& ref, const std::string& prefix = "") {
  ReferenceBatch b;
  b.ids = ref.ints(prefix + "input_ids");
  b.types = ref.ints(prefix + "token_type_ids");
  b.mask = ref.ints(prefix + "attention_mask");
  auto shape = ref.shape(prefix + "input_ids");
  b.view.B = static_cast<int>(shape[0]);
  b.view.T = static_cast<int>(shape[1]);
  b.view.input_ids = b.ids.data();
  b.view.token_type_ids = b.types.data();
  b.view.attention_mask = b.mask.data();
  return b;
}

// Silences notices (fresh heads, ignored tensors) while loading, and returns what was said.
struct CapturedLog {
  CapturedLog() {
    previous = set_log_sink([this](LogLevel, const std::string& m) { messages += m + "\n"; });
  }
  ~CapturedLog() { set_log_sink(previous); }
  std::string messages;
  LogSink previous;
};

// gtest prints parameters in failure messages and test lists: show the fixture name.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// RoBERTa-like references store create_position_ids_from_input_ids' result: the ids the model
// derived must equal it.
void expect_reference_position_ids(const testing::Reference& ref, const std::string& prefix,
                                   const Activations& acts, const std::string& where) {
  if (!ref.has(prefix + "position_ids")) return;
  ASSERT_FALSE(acts.embeddings.position_ids.empty())
      << where << ": the reference has position ids, the model none";
  const int32_t* got = acts.embeddings.position_ids.i32();
  std::vector<int32_t> want = ref.ints(prefix + "position_ids");
  EXPECT_EQ(std::vector<int32_t>(got, got + want.size()), want)
      << where << ": " << prefix << "position_ids";
}

class ForwardTest : public ::testing::TestWithParam<Case> {};
class PairTest : public ::testing::TestWithParam<Case> {};
class PaddingTest : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardTest, MatchesTransformers) {
  const Case& c = GetParam();
  CapturedLog log;
  Model model = load_model(testing::fixtures_dir() / c.name);
  testing::Reference ref(c.name);
  testing::ErrorBounds bounds(c.bounds_name());
  ReferenceBatch batch = reference_batch(ref);
  Activations acts(model.config, batch.view.B, batch.view.T, Mode::Eval);
  ForwardOutputs out = model_forward(Exec::cpu(), model.config, model.params(), acts, batch.view);
  expect_reference_position_ids(ref, "", acts, c.name);

  expect_within_bound(bounds, c.name, "last_hidden_state", out.last_hidden_state.f32(),
                      static_cast<size_t>(out.last_hidden_state.numel()));
  if (bounds.has("pooler_output") && model.config.family == Family::Bert && c.has_head) {
    expect_within_bound(bounds, c.name, "pooler_output", out.pooled.f32(),
                        static_cast<size_t>(out.pooled.numel()));
  }
  if (c.has_head) {
    EXPECT_TRUE(model.load_report.fresh.empty()) << log.messages;
    expect_within_bound(bounds, c.name, "logits", out.logits.f32(),
                        static_cast<size_t>(out.logits.numel()));
  } else {
    // A base checkpoint gets a fresh head, and says so.
    EXPECT_FALSE(model.load_report.fresh.empty());
    EXPECT_NE(log.messages.find(model.load_report.fresh.back()), std::string::npos) << log.messages;
  }
  // Where transformers' own verdict on loading the checkpoint as a classifier is recorded, the
  // fresh and the ignored tensors are exactly its missing and unexpected keys.
  Json info = parse_json_file(testing::fixtures_dir() / "reference" / (c.name + ".json"));
  if (info.contains("loading_as_classifier")) {
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    const Json& verdict = info["loading_as_classifier"];
    EXPECT_EQ(sorted(model.load_report.fresh),
              sorted(verdict["missing_keys"].get<std::vector<std::string>>()));
    EXPECT_EQ(sorted(model.load_report.ignored),
              sorted(verdict["unexpected_keys"].get<std::vector<std::string>>()));
    if (!model.load_report.ignored.empty()) {  // ModernBertModel has nothing to ignore
      EXPECT_NE(log.messages.find(model.load_report.ignored.front()), std::string::npos)
          << log.messages;
    }
  }
}

// Sentence pairs: the pair template's ids (and, for ELECTRA, token types 0/1) through the model.
TEST_P(PairTest, PairsMatchTransformers) {
  const Case& c = GetParam();
  CapturedLog log;
  Model model = load_model(testing::fixtures_dir() / c.name);
  testing::Reference ref(c.name);
  testing::ErrorBounds bounds(c.name);
  ReferenceBatch batch = reference_batch(ref, "pair_");
  Activations acts(model.config, batch.view.B, batch.view.T, Mode::Eval);
  ForwardOutputs out = model_forward(Exec::cpu(), model.config, model.params(), acts, batch.view);
  expect_reference_position_ids(ref, "pair_", acts, c.name);
  expect_within_bound(bounds, c.name, "pair_last_hidden_state", out.last_hidden_state.f32(),
                      static_cast<size_t>(out.last_hidden_state.numel()));
  expect_within_bound(bounds, c.name, "pair_logits", out.logits.f32(),
                      static_cast<size_t>(out.logits.numel()));
}

TEST_P(PaddingTest, EachTextAloneGivesItsBatchedLogits) {
  const Case& c = GetParam();
  testing::Reference ref(c.name);
  ASSERT_TRUE(ref.has("logits_unpadded")) << c.name;
  CapturedLog log;
  Model model = load_model(testing::fixtures_dir() / c.name);
  testing::ErrorBounds bounds(c.name);
  ReferenceBatch batch = reference_batch(ref);
  const int K = model.config.K(), T = batch.view.T;
  Activations acts(model.config, 1, T, Mode::Eval);
  for (int b = 0; b < batch.view.B; ++b) {
    int length = 0;
    while (length < T && batch.mask[b * T + length] == 1) ++length;
    BatchView one;
    one.B = 1;
    one.T = length;
    one.input_ids = batch.ids.data() + b * T;
    one.token_type_ids = batch.types.data() + b * T;
    one.attention_mask = batch.mask.data() + b * T;
    ForwardOutputs out = model_forward(Exec::cpu(), model.config, model.params(), acts, one);
    testing::BoundCheck check =
        bounds.check_range("logits_unpadded", static_cast<size_t>(b * K), out.logits.f32(), K);
    EXPECT_TRUE(check.passed()) << c.name << " text " << b << " (" << length
                                << " tokens): " << check.describe("logits_unpadded");
  }
}

// Long inputs (ModernBERT reads up to 8192 tokens): each text right-padded to 2048 tokens, far
// past its sliding window (+-4), gives the logits of the text alone. The activations are planned
// for 2 x 2048; the padded query rows that see no real key are uniform and feed nothing.
TEST(LongInputs, ModernBertTextPaddedTo2048TokensGivesItsLogits) {
  const std::string name = "tiny-modernbert";
  testing::Reference ref(name);
  CapturedLog log;
  Model model = load_model(testing::fixtures_dir() / name);
  testing::ErrorBounds bounds(name);
  ReferenceBatch batch = reference_batch(ref);
  const int K = model.config.K(), T = batch.view.T, long_T = 2048, rows = 2;
  Activations acts(model.config, rows, long_T, Mode::Eval);
  std::vector<int32_t> ids(size_t(rows) * long_T, model.config.pad_token_id), types(ids.size(), 0),
      mask(ids.size(), 0);
  for (int b = 0; b < rows; ++b) {
    for (int t = 0; t < T && batch.mask[b * T + t] == 1; ++t) {
      ids[size_t(b) * long_T + t] = batch.ids[b * T + t];
      mask[size_t(b) * long_T + t] = 1;
    }
  }
  BatchView view{rows, long_T, ids.data(), types.data(), mask.data()};
  ForwardOutputs out = model_forward(Exec::cpu(), model.config, model.params(), acts, view);
  testing::BoundCheck check = bounds.check_range("logits_unpadded", 0, out.logits.f32(),
                                                 static_cast<size_t>(rows * K));
  EXPECT_TRUE(check.passed()) << check.describe("logits_unpadded");
}

// An activation plan larger than the machine's memory stops before allocating, naming the
// sizes and the T x T attention term (forward.cpp, check_activation_memory).
TEST(LongInputs, APlanBeyondMemoryIsAClearError) {
  CapturedLog log;
  Model model = load_model(testing::fixtures_dir() / "tiny-modernbert");
  // 1024 x 8192 tokens in training: 512 GiB of attention probabilities per layer.
  try {
    Activations acts(model.config, 1024, 8192, Mode::Train);
    FAIL() << "a plan of " << acts.bytes() << " bytes was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("batches of 1024 x 8192 tokens"), std::string::npos) << message;
    EXPECT_NE(message.find("attention probabilities alone are 512 GiB per layer"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("--max-length"), std::string::npos) << message;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.name;
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ForwardTest, ::testing::ValuesIn(cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, PairTest, ::testing::ValuesIn(pair_cases()), case_name);
// The references that also hold each text's logits computed alone (tools/make_reference.py,
// tools/make_family_fixtures.py).
INSTANTIATE_TEST_SUITE_P(Fixtures, PaddingTest,
                         ::testing::Values(Case{"tiny-distilbert", true}, Case{"tiny-bert", true},
                                           Case{"tiny-bert-gelu-tanh", true},
                                           Case{"tiny-roberta", true},
                                           Case{"tiny-xlm-roberta", true},
                                           Case{"tiny-camembert", true}, Case{"tiny-electra", true},
                                           Case{"tiny-electra-same-width", true},
                                           Case{"tiny-modernbert", true},
                                           Case{"tiny-modernbert-mean", true}),
                         case_name);

// The packaged real model (all-MiniLM-L6-v2, fetched by scripts/fetch-model.sh): encoder output
// equal to transformers' on texts with punctuation, accents, CJK and emoji.
TEST(RealModel, MiniLMHiddenStatesMatchTransformers) {
  const auto dir = testing::minilm_dir();
  if (!std::filesystem::exists(dir / "model.safetensors")) {
    GTEST_SKIP() << "all-MiniLM-L6-v2 not found at " << dir << " (run scripts/fetch-model.sh)";
  }
  CapturedLog log;
  Model model = load_model(dir);
  testing::Reference ref("minilm");
  testing::ErrorBounds bounds("minilm");
  ReferenceBatch batch = reference_batch(ref);
  Activations acts(model.config, batch.view.B, batch.view.T, Mode::Eval);
  ForwardOutputs out = model_forward(Exec::cpu(), model.config, model.params(), acts, batch.view);
  expect_within_bound(bounds, "minilm", "last_hidden_state", out.last_hidden_state.f32(),
                      static_cast<size_t>(out.last_hidden_state.numel()));
  expect_within_bound(bounds, "minilm", "pooler_output", out.pooled.f32(),
                      static_cast<size_t>(out.pooled.numel()));
  // BertModel has a pooler but no classifier: only the classifier is fresh.
  EXPECT_EQ(model.load_report.fresh,
            (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
}

}  // namespace
}  // namespace finetune
