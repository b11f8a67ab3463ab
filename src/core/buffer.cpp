// HostBuffer and Arena implementation.
#include "core/buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace finetune {

HostBuffer::HostBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  if (data_ == nullptr) {
    throw Error(cat("out of memory: could not allocate ", bytes, " bytes"));
  }
  std::memset(data_, 0, rounded);
}

HostBuffer::~HostBuffer() { std::free(data_); }

HostBuffer::HostBuffer(HostBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HostBuffer& HostBuffer::operator=(HostBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Tensor Arena::take(DType dtype, std::initializer_list<int64_t> dims) {
  Tensor view(nullptr, dtype, dims, device_);
  size_t bytes = footprint(view.nbytes());
  if (measuring_) {
    used_ += bytes;
    return view;
  }
  FT_CHECK(used_ + bytes <= capacity_, "arena of ", capacity_, " bytes exhausted by a ",
           view.shape_str(), " ", dtype_name(dtype), " tensor (", used_, " bytes in use)");
  view.data = static_cast<char*>(base_) + used_;
  used_ += bytes;
  return view;
}

}  // namespace finetune
