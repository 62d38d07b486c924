// Bytes that hold a secret (a password, the token request's form body) in memory that core dumps
// leave out and that is wiped before it is given back.
#pragma once

#include <cstddef>
#include <string_view>

namespace vovrest::detail {

// Whole pages of their own (mmap), marked MADV_DONTDUMP (no kernel core dump, no gcore holds
// them), MADV_WIPEONFORK (a child process sees zeros) and locked against swap where the
// RLIMIT_MEMLOCK allows; overwritten with OPENSSL_cleanse before munmap. It grows by mapping new
// pages and wiping the old ones, so no copy of the secret is left behind. Move-only.
// Thread-safety: none; one owner at a time.
class secret_buffer
{
public:
    secret_buffer() noexcept = default;
    // Room for `capacity` bytes without growing. Throws std::bad_alloc when no pages can be had.
    explicit secret_buffer(std::size_t capacity);
    secret_buffer(secret_buffer&& other) noexcept;
    secret_buffer& operator=(secret_buffer&& other) noexcept;
    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;
    ~secret_buffer();

    std::string_view view() const noexcept { return {data_, size_}; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // Room for n more bytes (growing when needed); returns where they go. commit() adds them.
    char* extend(std::size_t n);
    void commit(std::size_t n) noexcept { size_ += n; }
    void append(std::string_view text);
    // Shortens to n bytes, wiping what is dropped.
    void truncate(std::size_t n) noexcept;
    // Wipes everything and gives the pages back.
    void release() noexcept;

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0;  // bytes mapped (whole pages)
};

}  // namespace vovrest::detail
