// Key material and plaintext secrets live in sodium_malloc'd memory (guard pages, mlock when
// the rlimit allows, wiped on free) and nowhere else for longer than a call.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace closedpaw::vault {

class SecureBytes {
  public:
    SecureBytes() = default;
    explicit SecureBytes(std::size_t size) : size_(size) {
        if (size == 0) return;
        data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
        if (data_ == nullptr) throw std::bad_alloc();
    }
    SecureBytes(const SecureBytes&) = delete;
    SecureBytes& operator=(const SecureBytes&) = delete;
    SecureBytes(SecureBytes&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    SecureBytes& operator=(SecureBytes&& o) noexcept {
        if (this != &o) {
            reset();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ~SecureBytes() { reset(); }

    static SecureBytes copy_of(std::span<const std::uint8_t> bytes) {
        SecureBytes s(bytes.size());
        if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), s.data_);
        return s;
    }

    void reset() noexcept {
        if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes before freeing
        data_ = nullptr;
        size_ = 0;
    }
    std::uint8_t* data() noexcept { return data_; }
    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }

  private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Wipes a buffer that held a secret outside sodium's allocator (e.g. a D-Bus argument).
template <typename Container>
void wipe(Container& c) noexcept {
    if (!c.empty()) sodium_memzero(c.data(), c.size() * sizeof(c[0]));
}

}  // namespace closedpaw::vault
