// Buffers and copies, dispatched on the device.
#include "ops/memory.h"

#include <cstring>
#include <exception>
#include <utility>

#include "kernels/device.h"

namespace finetune::ops {

namespace cuda = finetune::kernels::cuda;

Buffer::Buffer(const Exec& ex, size_t bytes) : size_(bytes), device_(ex.device) {
  if (bytes == 0) return;
  if (device_ == Device::CPU) {
    host_ = HostBuffer(bytes);
    data_ = host_.data();
  } else {
    data_ = cuda::device_alloc(bytes);
    cuda::fill_zero(ex, data_, bytes);
  }
}

void Buffer::release() {
  // Runs in destructors, often while an earlier error unwinds the stack: a failing free (a GPU
  // context already broken by that error) must not end the process before the error is reported.
  if (device_ == Device::CUDA && data_ != nullptr) {
    try {
      cuda::device_free(data_);
    } catch (const std::exception&) {
    }
  }
  host_ = HostBuffer();
  data_ = nullptr;
  size_ = 0;
}

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      device_(other.device_),
      host_(std::move(other.host_)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    device_ = other.device_;
    host_ = std::move(other.host_);
  }
  return *this;
}

StagingBuffer::StagingBuffer(const Exec& ex, size_t bytes) : size_(bytes), pinned_(ex.device == Device::CUDA) {
  if (bytes == 0) return;
  if (pinned_) {
    data_ = cuda::host_alloc_pinned(bytes);
    std::memset(data_, 0, bytes);
  } else {
    host_ = HostBuffer(bytes);
    data_ = host_.data();
  }
}

void StagingBuffer::release() {
  if (pinned_ && data_ != nullptr) {
    try {  // see Buffer::release
      cuda::host_free_pinned(data_);
    } catch (const std::exception&) {
    }
  }
  host_ = HostBuffer();
  data_ = nullptr;
  size_ = 0;
}

StagingBuffer::~StagingBuffer() { release(); }

StagingBuffer::StagingBuffer(StagingBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      pinned_(other.pinned_),
      host_(std::move(other.host_)) {}

StagingBuffer& StagingBuffer::operator=(StagingBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    pinned_ = other.pinned_;
    host_ = std::move(other.host_);
  }
  return *this;
}

void copy(const Exec& ex, const Tensor& dst, const Tensor& src) {
  FT_CHECK(dst.dtype == src.dtype && dst.numel() == src.numel(), "copy: ", dtype_name(src.dtype), " ",
           src.shape_str(), " into ", dtype_name(dst.dtype), " ", dst.shape_str());
  const size_t bytes = src.nbytes();
  if (bytes == 0) return;
  if (dst.device == Device::CPU && src.device == Device::CPU) {
    std::memmove(dst.data, src.data, bytes);
  } else if (dst.device == Device::CUDA && src.device == Device::CPU) {
    cuda::copy_to_device(ex, dst.data, src.data, bytes);
  } else if (dst.device == Device::CPU && src.device == Device::CUDA) {
    cuda::copy_to_host(ex, dst.data, src.data, bytes);
  } else {
    cuda::copy_on_device(ex, dst.data, src.data, bytes);
  }
}

void zero(const Exec& ex, const Tensor& t) {
  if (t.device == Device::CPU) {
    std::memset(t.data, 0, t.nbytes());
  } else {
    cuda::fill_zero(ex, t.data, t.nbytes());
  }
}

void synchronize(const Exec& ex) {
  if (ex.device == Device::CUDA) cuda::synchronize(ex);
}

}  // namespace finetune::ops
