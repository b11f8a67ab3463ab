// `finetune_hub_mirror`: the test hub mirror as a program, for checks outside the test suite
// (tools/check_hub_cache.py points huggingface_hub and finetune at it). It serves the standard
// repositories (org/tiny-distilbert, org/tiny-bert-bin, dataset org/emotion) on 127.0.0.1,
// prints its endpoint as the first line of stdout, and stops when stdin closes.
#include <cstdio>
#include <iostream>
#include <string>

#include "hub_mirror.h"

int main() {
  try {
    finetune::testing::HubMirror mirror;
    finetune::testing::add_standard_repos(mirror);
    std::printf("%s\n", mirror.endpoint().c_str());
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    std::fprintf(stderr, "finetune_hub_mirror: served %zu requests\n", mirror.request_count());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finetune_hub_mirror: %s\n", e.what());
    return 1;
  }
}
