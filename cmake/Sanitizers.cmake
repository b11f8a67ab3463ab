# Sanitizer and fuzzing builds (docs/robustness.md).
#
# FINETUNE_SANITIZE=ON: the whole library and test suite with AddressSanitizer and
# UndefinedBehaviorSanitizer. UBSan findings abort (-fno-sanitize-recover) so that a test cannot
# pass while printing a report, and frame pointers stay so that ASan's stack traces are complete
# without slow unwinding. CUDA must be off: the CUDA runtime maps device memory where ASan keeps
# its shadow, and nvcc does not instrument device code anyway.
#
# FINETUNE_FUZZ=ON: the libFuzzer targets of tests/fuzz/ (clang only: libFuzzer is part of clang's
# compiler runtime). Everything is built with -fsanitize=fuzzer-no-link plus ASan and UBSan, so
# the parsers the targets call are coverage-instrumented; only the targets link libFuzzer's main.
option(FINETUNE_SANITIZE "Build everything with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(FINETUNE_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; implies the sanitizers)" OFF)

if(FINETUNE_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "FINETUNE_FUZZ=ON needs clang (libFuzzer): configure with "
                      "-DCMAKE_CXX_COMPILER=clang++ (scripts/sanitize-and-fuzz.sh does)")
endif()

if(FINETUNE_SANITIZE OR FINETUNE_FUZZ)
  if(FINETUNE_CUDA)
    message(FATAL_ERROR "sanitizer and fuzzing builds are CPU-only: add -DFINETUNE_CUDA=OFF")
  endif()
  set(_finetune_sanitizers address,undefined)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_finetune_sanitizers}>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=${_finetune_sanitizers})
  message(STATUS "Sanitizers: AddressSanitizer + UndefinedBehaviorSanitizer")
endif()

if(FINETUNE_FUZZ)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
  message(STATUS "Fuzzing: libFuzzer targets in tests/fuzz")
endif()
