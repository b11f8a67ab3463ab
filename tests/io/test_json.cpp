// JSON helpers: parse errors carry file, line and column; typed reads name the key.
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "io/json.h"

namespace finetune {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Json, ParseErrorNamesOriginLineAndColumn) {
  std::string message = error_of([] { parse_json_text("{\n  \"a\": 1,\n  \"b\": ]\n}", "cfg.json"); });
  EXPECT_NE(message.find("cfg.json"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
}

TEST(Json, HugeNumbersAreAnErrorNotACrash) {
  std::string message = error_of([] { parse_json_text(R"({"layer_norm_eps": 1e999})", "config.json"); });
  EXPECT_NE(message.find("config.json: invalid JSON"), std::string::npos) << message;
}

TEST(Json, TypedReadsNameTheKey) {
  Json doc = Json::parse(R"({"hidden_size": "big", "eps": 1e-12, "n": 768.0, "flag": true})");
  JsonView view(doc, "config.json");
  std::string message = error_of([&] { view.get_int("hidden_size"); });
  EXPECT_NE(message.find("config.json: key 'hidden_size': expected an integer, got a string"),
            std::string::npos)
      << message;
  EXPECT_EQ(view.get_int("n"), 768);  // integral floats are accepted
  EXPECT_DOUBLE_EQ(view.get_number("eps"), 1e-12);
  EXPECT_TRUE(view.get_bool("flag"));
  EXPECT_EQ(view.get_int_or("absent", 7), 7);
  EXPECT_NE(error_of([&] { view.get_string("missing"); }).find("'missing': missing"), std::string::npos);
}

}  // namespace
}  // namespace finetune
