// Memory for the header fields of the request a connection is reading: Beast's basic_fields
// allocates every field (and the target) separately and frees them all with the parser, one
// malloc/free pair each, per request. The arena hands out pieces of one buffer instead and
// starts over when the last piece is given back. Private to vovrest::testing.
// Thread-safety: none; one arena belongs to one connection.
#pragma once

#include <array>
#include <cstddef>
#include <new>

namespace vovrest::testing::detail {

class field_arena
{
public:
    static constexpr std::size_t capacity = 4096;  // a request of a few ordinary headers

    field_arena() = default;
    field_arena(const field_arena&) = delete;
    field_arena& operator=(const field_arena&) = delete;

    // A request whose fields outgrow the buffer gets the rest from the heap.
    void* allocate(std::size_t bytes, std::size_t align)
    {
        const std::size_t start = (used_ + align - 1) / align * align;
        if (align <= alignof(std::max_align_t) && start + bytes <= capacity)
        {
            used_ = start + bytes;
            ++live_;
            return storage_.data() + start;
        }
        return ::operator new (bytes, std::align_val_t{align});
    }

    void deallocate(void* p, std::size_t bytes, std::size_t align) noexcept
    {
        if (owns(p))
        {
            if (--live_ == 0)
                used_ = 0;
            return;
        }
        (void)bytes;  // clang (no -fsized-deallocation) has no sized, aligned operator delete
        ::operator delete (p, std::align_val_t{align});
    }

    bool owns(const void* p) const noexcept
    {
        const auto* b = static_cast<const std::byte*>(p);
        return b >= storage_.data() && b < storage_.data() + capacity;
    }

    std::size_t used() const noexcept { return used_; }

private:
    alignas(std::max_align_t) std::array<std::byte, capacity> storage_;
    std::size_t used_ = 0;  // bytes handed out since the arena was last empty
    std::size_t live_ = 0;  // pieces not given back yet
};

// The standard allocator interface over a field_arena, for basic_fields<arena_allocator<char>>.
template <class T>
class arena_allocator
{
public:
    using value_type = T;

    explicit arena_allocator(field_arena& arena) noexcept : arena_(&arena) {}
    template <class U>
    arena_allocator(const arena_allocator<U>& other) noexcept : arena_(other.arena())
    {}

    T* allocate(std::size_t n) { return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { arena_->deallocate(p, n * sizeof(T), alignof(T)); }

    field_arena* arena() const noexcept { return arena_; }

    template <class U>
    bool operator==(const arena_allocator<U>& other) const noexcept
    {
        return arena_ == other.arena();
    }

private:
    field_arena* arena_;
};

}  // namespace vovrest::testing::detail
