// Memory on a device: an owning buffer for either the host or the GPU, and copies between any
// two places. The model and trainer allocate through this so the same code plans memory for
// both backends; kernels never allocate.
//
// On the GPU, allocation and zeroing happen on the context's stream (stream-ordered), copies are
// asynchronous on that stream, and `synchronize` is the one explicit wait.
#pragma once

#include <cstddef>

#include "core/buffer.h"
#include "core/exec.h"
#include "core/tensor.h"

namespace finetune::ops {

// Zero-initialised memory on ex.device (64-byte aligned on the host).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Exec& ex, size_t bytes);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }
  Device device() const { return device_; }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void release();
  void* data_ = nullptr;
  size_t size_ = 0;
  Device device_ = Device::CPU;
  HostBuffer host_;  // owns the memory when device_ == CPU
};

// Host memory that the GPU copies to and from asynchronously (page-locked when ex is CUDA;
// ordinary aligned memory on the CPU).
class StagingBuffer {
 public:
  StagingBuffer() = default;
  StagingBuffer(const Exec& ex, size_t bytes);
  ~StagingBuffer();
  StagingBuffer(StagingBuffer&& other) noexcept;
  StagingBuffer& operator=(StagingBuffer&& other) noexcept;
  StagingBuffer(const StagingBuffer&) = delete;
  StagingBuffer& operator=(const StagingBuffer&) = delete;

  template <typename T>
  T* as() const { return static_cast<T*>(data_); }
  size_t size() const { return size_; }

 private:
  void release();
  void* data_ = nullptr;
  size_t size_ = 0;
  bool pinned_ = false;
  HostBuffer host_;
};

// dst = src (same dtype and element count; any pair of devices; asynchronous on the GPU).
void copy(const Exec& ex, const Tensor& dst, const Tensor& src);
// t = 0 (asynchronous on the GPU).
void zero(const Exec& ex, const Tensor& t);
// Waits for the GPU's stream (no-op on the CPU).
void synchronize(const Exec& ex);

}  // namespace finetune::ops
