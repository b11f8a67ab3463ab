// Writing and reading the training output directory.
#include "train/checkpoint.h"

#include <cstring>

#include "io/file.h"
#include "io/safetensors.h"
#include "io/staged_directory.h"
#include "model/checkpoint.h"

namespace finetune {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "trainer_state.json";
constexpr const char* kTensorFile = "training_state.safetensors";
constexpr const char* kFormat = "finetune-trainer-state";
constexpr int kVersion = 1;

}  // namespace

bool is_training_output(const fs::path& directory) { return fs::exists(directory / kStateFile); }

void check_output_directory(const fs::path& output) {
  // A run killed between the two renames of StagedDirectory's fallback commit left the previous
  // checkpoint complete under "<output>.previous": put it back first.
  StagedDirectory::recover(output);
  std::error_code ec;
  if (fs::exists(output, ec)) {
    if (!fs::is_directory(output, ec)) throw Error(cat("--output ", output.string(), ": exists and is not a directory"));
    if (!fs::is_empty(output, ec) && !is_training_output(output)) {
      throw Error(cat("--output ", output.string(), ": exists and is not a finetune training output; "
                      "choose a new or empty directory (its files would be replaced)"));
    }
  }
  StagedDirectory probe(output);  // creates and removes the staging directory: proves writability
}

void write_training_output(const fs::path& output, const ModelConfig& config, ModelParams& params,
                           const std::vector<fs::path>& tokenizer_files, const TrainerState* state,
                           const OptimizerSnapshot* optimizer) {
  StagedDirectory staged(output);
  const fs::path dir = staged.path();
  write_file_atomic(dir / "config.json", config_to_json(config).dump(2) + "\n");
  save_weights(dir / "model.safetensors", config, params);
  for (const fs::path& file : tokenizer_files) {
    fs::copy_file(file, dir / file.filename(), fs::copy_options::overwrite_existing);
    fs::permissions(dir / file.filename(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  }
  if (state != nullptr) {
    FT_CHECK(optimizer != nullptr, "training state without optimizer");
    nlohmann::ordered_json json = {
        {"format", kFormat},
        {"version", kVersion},
        {"global_step", state->global_step},
        {"micro_step", state->micro_step},
        {"epoch", state->epoch},
        {"step_in_epoch", state->step_in_epoch},
        {"epoch_loss_sum", state->epoch_loss_sum},
        {"epoch_correct", state->epoch_correct},
        {"epoch_examples", state->epoch_examples},
        {"complete", state->complete},
        {"examples", state->examples},
        {"data_fingerprint", cat(std::hex, state->data_fingerprint)},
        {"optimizer_steps", optimizer->steps},
        {"options", state->options},
    };
    write_file_atomic(dir / kStateFile, json.dump(2) + "\n");
    const int64_t n = static_cast<int64_t>(optimizer->exp_avg.size());
    std::vector<StTensorToWrite> tensors = {
        {"exp_avg", StDType::F32, {n}, optimizer->exp_avg.data()},
        {"exp_avg_sq", StDType::F32, {n}, optimizer->exp_avg_sq.data()},
        {"data_order", StDType::I32, {static_cast<int64_t>(state->data_order.size())}, state->data_order.data()},
    };
    write_safetensors(dir / kTensorFile, tensors, {{"format", kFormat}});
  }
  staged.commit();
}

ResumeState read_training_state(const fs::path& directory, int64_t parameter_count) {
  StagedDirectory::recover(directory);  // as in check_output_directory
  const fs::path state_path = directory / kStateFile;
  if (!fs::exists(state_path)) {
    throw Error(cat("--resume ", directory.string(), ": no ", kStateFile, " (not a finetune training output)"));
  }
  Json document = parse_json_file(state_path);
  JsonView json(document, state_path.string());
  json.expect_object("a finetune trainer state");
  if (json.get_string_or("format", "") != kFormat || json.get_int_or("version", 0) != kVersion) {
    throw Error(cat(state_path.string(), ": not a version ", kVersion, " finetune trainer state"));
  }
  TrainerState s;
  s.global_step = json.get_int("global_step");
  s.micro_step = json.get_int("micro_step");
  s.epoch = static_cast<int>(json.get_int("epoch"));
  s.step_in_epoch = json.get_int("step_in_epoch");
  s.epoch_loss_sum = json.get_number("epoch_loss_sum");
  s.epoch_correct = json.get_int("epoch_correct");
  s.epoch_examples = json.get_int("epoch_examples");
  s.complete = json.get_bool("complete");
  s.examples = json.get_int("examples");
  s.data_fingerprint = std::stoull(json.get_string("data_fingerprint"), nullptr, 16);
  s.options = json.at("options").raw();
  ResumeState resume;
  resume.optimizer.steps = json.get_int("optimizer_steps");

  const fs::path tensor_path = directory / kTensorFile;
  SafetensorsFile file(tensor_path);
  auto read_moment = [&](const char* name, std::vector<float>& target) {
    const StTensorInfo* info = file.find(name);
    if (info == nullptr || info->dtype != StDType::F32 || info->numel() != parameter_count) {
      throw Error(cat(tensor_path.string(), ": '", name, "' must be F32 with ", parameter_count,
                      " values (does the model match the interrupted run?)"));
    }
    target.resize(static_cast<size_t>(parameter_count));
    file.read_as_f32(*info, target.data(), parameter_count);
  };
  read_moment("exp_avg", resume.optimizer.exp_avg);
  read_moment("exp_avg_sq", resume.optimizer.exp_avg_sq);
  const StTensorInfo* order = file.find("data_order");
  if (order == nullptr || order->dtype != StDType::I32 || order->numel() != s.examples) {
    throw Error(cat(tensor_path.string(), ": 'data_order' must be I32 with ", s.examples, " values"));
  }
  s.data_order.resize(static_cast<size_t>(s.examples));
  std::memcpy(s.data_order.data(), file.bytes(*order), s.data_order.size() * sizeof(int32_t));
  for (int32_t index : s.data_order) {
    if (index < 0 || index >= s.examples) throw Error(cat(tensor_path.string(), ": 'data_order' holds ", index));
  }
  resume.trainer = std::move(s);
  return resume;
}

}  // namespace finetune
