// The list of families and the lookups by Family and by model_type.
#include <string>
#include <vector>

#include "core/error.h"
#include "model/family.h"

namespace finetune {

const std::vector<const FamilySpec*>& all_families() {
  static const std::vector<const FamilySpec*> families = {
      &bert_family(),        &distilbert_family(), &roberta_family(),
      &xlm_roberta_family(), &camembert_family(),  &electra_family(),
      &modernbert_family(),
  };
  return families;
}

const FamilySpec& family_spec(Family family) {
  for (const FamilySpec* spec : all_families()) {
    if (spec->family == family) return *spec;
  }
  fail_check(__FILE__, __LINE__, "family_spec",
             cat("no FamilySpec for family ", static_cast<int>(family)));
}

const FamilySpec* find_family(const std::string& model_type) {
  for (const FamilySpec* spec : all_families()) {
    if (model_type == spec->model_type) return spec;
  }
  return nullptr;
}

std::string supported_model_types() {
  std::string names;
  for (const FamilySpec* spec : all_families())
    names += (names.empty() ? "" : ", ") + std::string(spec->model_type);
  return names;
}

const char* family_name(Family family) {
  return family_spec(family).model_type;
}

const char* classification_architecture(Family family) {
  return family_spec(family).architecture;
}

}  // namespace finetune
