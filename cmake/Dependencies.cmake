# Third-party dependencies, all from Debian packages (scripts/install-deps.sh installs them):
# OpenBLAS (OpenMP flavour, so BLAS and our loops share one thread pool), OpenMP, nlohmann-json,
# utf8proc, Oniguruma, snappy, zstd, zlib, OpenSSL's libcrypto, libzip, libcurl (headers), protobuf
# (library and protoc) and GoogleTest. Nothing is vendored.
#
# Libraries are found with find_library/find_path (not pkg-config), so a build can also use
# packages unpacked into a private prefix given as CMAKE_PREFIX_PATH, as tools/gpu_check.sh does
# on a machine without a package registry.
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

# finetune_find_library(<target> <header> <library names...>): an imported target for a C library.
function(finetune_find_library target header)
  string(TOUPPER "${target}" var)
  find_path(${var}_INCLUDE_DIR ${header})
  find_library(${var}_LIBRARY NAMES ${ARGN})
  if(NOT ${var}_INCLUDE_DIR OR NOT ${var}_LIBRARY)
    message(FATAL_ERROR "${target} not found (header ${header}, library ${ARGN}): "
                        "run scripts/install-deps.sh")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  target_include_directories(${target} INTERFACE ${${var}_INCLUDE_DIR})
  target_link_libraries(${target} INTERFACE ${${var}_LIBRARY})
endfunction()

# utf8proc: Unicode categories, NFD decomposition and case mapping for the tokenizer.
finetune_find_library(finetune::utf8proc utf8proc.h utf8proc)
# Oniguruma: the regex engine HF tokenizers uses, for Split, Replace and ByteLevel's GPT-2 split.
finetune_find_library(finetune::onig oniguruma.h onig)
# protobuf: SentencePiece model files (spm.model, ...) are serialized protobuf messages. protoc
# compiles our schema of them (src/tokenizer/loaders/sentencepiece_model.proto) at build time and
# the lite runtime parses the files. CMake's FindProtobuf module finds both (also under
# CMAKE_PREFIX_PATH: protoc in <prefix>/bin, which then needs libprotoc on LD_LIBRARY_PATH).
find_package(Protobuf 3.12 REQUIRED)
if(NOT TARGET protobuf::libprotobuf-lite OR NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "protobuf not found (libprotobuf-dev and protobuf-compiler): run scripts/install-deps.sh")
endif()
# Parquet page codecs for the dataset reader (src/data/parquet/codec.cpp): snappy (what Hugging
# Face writes), zstd and gzip (zlib). zlib also gives the zip reader its CRC-32.
finetune_find_library(finetune::snappy snappy-c.h snappy)
finetune_find_library(finetune::zstd zstd.h zstd)
finetune_find_library(finetune::zlib zlib.h z)
# OpenSSL's libcrypto: SHA-256 of hub downloads (src/io/sha256.cpp), through its EVP interface,
# and base64 of SentencePiece charsmaps in tokenizer.json (src/tokenizer/normalizers/precompiled.cpp).
finetune_find_library(finetune::crypto openssl/evp.h crypto)
# libzip: the zip container of PyTorch checkpoints, pytorch_model.bin (src/io/zip_archive.cpp).
finetune_find_library(finetune::libzip zip.h zip)
# libcurl for the Hugging Face hub client (src/hub/http.cpp): only its headers at build time; the
# library is loaded with dlopen when a command first talks to the hub, so nothing else depends
# on it being installed.
find_path(CURL_INCLUDE_DIR curl/curl.h)
if(NOT CURL_INCLUDE_DIR)
  message(FATAL_ERROR "curl/curl.h not found: install libcurl4-openssl-dev (scripts/install-deps.sh)")
endif()
add_library(finetune::curl_headers INTERFACE IMPORTED GLOBAL)
target_include_directories(finetune::curl_headers INTERFACE ${CURL_INCLUDE_DIR})
target_link_libraries(finetune::curl_headers INTERFACE ${CMAKE_DL_LIBS})

# OpenBLAS: prefer the OpenMP build. Debian installs it beside the pthreads build; linking the
# pthreads one would make BLAS and OpenMP each start a thread per core and oversubscribe.
set(_multiarch "${CMAKE_LIBRARY_ARCHITECTURE}")
set(_openblas_lib_dirs "")
set(_openblas_include_dirs "")
foreach(prefix ${CMAKE_PREFIX_PATH} /usr)
  list(APPEND _openblas_lib_dirs ${prefix}/lib/${_multiarch}/openblas-openmp)
  list(APPEND _openblas_include_dirs ${prefix}/include/${_multiarch}/openblas-openmp)
endforeach()
find_library(OPENBLAS_LIBRARY NAMES openblas PATHS ${_openblas_lib_dirs} NO_DEFAULT_PATH)
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATHS ${_openblas_include_dirs} NO_DEFAULT_PATH)
if(NOT OPENBLAS_LIBRARY OR NOT OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found: install libopenblas-openmp-dev "
                      "(scripts/install-deps.sh does this)")
endif()
add_library(openblas_openmp INTERFACE)
target_link_libraries(openblas_openmp INTERFACE ${OPENBLAS_LIBRARY})
target_include_directories(openblas_openmp INTERFACE ${OPENBLAS_INCLUDE_DIR})
message(STATUS "OpenBLAS: ${OPENBLAS_LIBRARY}")
# The OpenMP build is not the system default (Debian's alternatives point libopenblas.so.0 at the
# pthreads build), so installed binaries keep a run path to its directory.
get_filename_component(OPENBLAS_LIBRARY_DIR "${OPENBLAS_LIBRARY}" DIRECTORY)
list(APPEND CMAKE_INSTALL_RPATH "${OPENBLAS_LIBRARY_DIR}")
