// Owning host memory: aligned buffers and a bump arena that hands out Tensor views.
//
// DESIGN.md principle 3: memory is planned once. The model owns one HostBuffer for all
// parameters (and, when training, one for gradients and one per optimizer moment); activations
// come from an Arena sized up front for (B_max, T_max). Nothing is allocated per step: a forward
// pass only takes views from memory that already exists.
#pragma once

#include <cstddef>
#include <initializer_list>

#include "core/tensor.h"

namespace finetune {

// A move-only, 64-byte aligned, zero-initialised host allocation.
class HostBuffer {
 public:
  static constexpr size_t kAlignment = 64;  // a cache line; also enough for AVX-512 loads

  HostBuffer() = default;
  explicit HostBuffer(size_t bytes);
  ~HostBuffer();
  HostBuffer(HostBuffer&& other) noexcept;
  HostBuffer& operator=(HostBuffer&& other) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Hands out aligned Tensor views from a block of memory it does not own (host or device), front
// to back. `reset()` makes the whole block available again (views taken earlier must no longer be
// used). Running out is a bug in the memory plan, so it is an FT_CHECK, not an Error.
class Arena {
 public:
  Arena() = default;
  Arena(void* base, size_t capacity, Device device) : base_(base), capacity_(capacity), device_(device) {}

  // An arena with no memory that only counts: run the same sequence of take() calls on it to
  // learn the capacity a real arena needs (its views have data == nullptr).
  static Arena measuring() {
    Arena arena;
    arena.measuring_ = true;
    return arena;
  }

  Tensor take(DType dtype, std::initializer_list<int64_t> dims);
  void reset() { used_ = 0; }
  size_t used() const { return used_; }
  size_t capacity() const { return capacity_; }

  // Bytes `take` would consume for this many bytes, alignment included; for planning sizes.
  static size_t footprint(size_t bytes) {
    return (bytes + HostBuffer::kAlignment - 1) / HostBuffer::kAlignment * HostBuffer::kAlignment;
  }

 private:
  void* base_ = nullptr;
  size_t capacity_ = 0;
  Device device_ = Device::CPU;
  size_t used_ = 0;
  bool measuring_ = false;
};

}  // namespace finetune
