#include <vovrest/detail/secret_buffer.hpp>

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <new>
#include <utility>

namespace vovrest::detail {
namespace {

std::size_t page_size() noexcept
{
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

// Fresh pages for a secret, or nullptr.
char* map_secret_pages(std::size_t bytes) noexcept
{
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    // Out of core dumps: this one is what the pages are for, so it must hold.
    if (::madvise(p, bytes, MADV_DONTDUMP) != 0)
    {
        ::munmap(p, bytes);
        return nullptr;
    }
#ifdef MADV_WIPEONFORK
    (void)::madvise(p, bytes, MADV_WIPEONFORK);  // Linux 4.14 and later; a child sees zeros
#endif
    (void)::mlock(p, bytes);  // kept out of swap when RLIMIT_MEMLOCK allows; harmless when not
    return static_cast<char*>(p);
}

void unmap_secret_pages(char* p, std::size_t bytes) noexcept
{
    if (p == nullptr)
        return;
    OPENSSL_cleanse(p, bytes);
    ::munlock(p, bytes);
    ::munmap(p, bytes);
}

}  // namespace

secret_buffer::secret_buffer(std::size_t capacity)
{
    if (capacity > 0)
        (void)extend(capacity);
}

secret_buffer::secret_buffer(secret_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0))
{}

secret_buffer& secret_buffer::operator=(secret_buffer&& other) noexcept
{
    if (this != &other)
    {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, 0);
    }
    return *this;
}

secret_buffer::~secret_buffer()
{
    release();
}

char* secret_buffer::extend(std::size_t n)
{
    if (n > mapped_ - size_)
    {
        if (n > static_cast<std::size_t>(-1) / 2 - size_)
            throw std::bad_alloc();
        const std::size_t wanted = size_ + n;
        const std::size_t pages = (wanted + page_size() - 1) / page_size();
        const std::size_t bytes = pages * page_size() * (mapped_ == 0 ? 1 : 2);
        char* grown = map_secret_pages(bytes);
        if (grown == nullptr)
            throw std::bad_alloc();
        if (size_ > 0)
            std::memcpy(grown, data_, size_);
        unmap_secret_pages(data_, mapped_);
        data_ = grown;
        mapped_ = bytes;
    }
    return data_ + size_;
}

void secret_buffer::append(std::string_view text)
{
    if (text.empty())
        return;
    std::memcpy(extend(text.size()), text.data(), text.size());
    size_ += text.size();
}

void secret_buffer::truncate(std::size_t n) noexcept
{
    if (n >= size_)
        return;
    OPENSSL_cleanse(data_ + n, size_ - n);
    size_ = n;
}

void secret_buffer::release() noexcept
{
    unmap_secret_pages(data_, mapped_);
    data_ = nullptr;
    size_ = 0;
    mapped_ = 0;
}

}  // namespace vovrest::detail
