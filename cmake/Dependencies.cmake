# Third-party dependencies, all from Debian packages (scripts/install-deps.sh installs them):
# OpenBLAS (OpenMP flavour, so BLAS and our loops share one thread pool), OpenMP, nlohmann-json,
# utf8proc, snappy, zstd, zlib and GoogleTest. Nothing is vendored.
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)

# utf8proc: Unicode categories, NFD decomposition and case mapping for the tokenizer.
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)

# Parquet page codecs for the dataset reader (src/data/parquet_codec.cpp): snappy (what Hugging
# Face writes), zstd and gzip (zlib).
pkg_check_modules(SNAPPY REQUIRED IMPORTED_TARGET snappy)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)

# OpenBLAS: prefer the OpenMP build. Debian installs it beside the pthreads build; linking the
# pthreads one would make BLAS and OpenMP each start a thread per core and oversubscribe.
set(_multiarch "${CMAKE_LIBRARY_ARCHITECTURE}")
find_library(OPENBLAS_LIBRARY NAMES openblas
  PATHS /usr/lib/${_multiarch}/openblas-openmp NO_DEFAULT_PATH)
find_path(OPENBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${_multiarch}/openblas-openmp NO_DEFAULT_PATH)
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
