// The replaced global allocation functions of vovrest-micro-bench. They live in exactly one
// translation unit: a second definition would break the one-definition rule for the whole
// executable. Every delete goes to free(), so they must all be replaced together.
#include "allocation_counter.hpp"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

// Per thread, so that a benchmark thread sees only its own allocations.
thread_local std::uint64_t thread_allocations = 0;

void* counted_alloc(std::size_t size, std::size_t align)
{
    ++thread_allocations;
    if (size == 0)
        size = 1;
    void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (size + align - 1) / align * align)
                                                : std::malloc(size);
    if (p == nullptr)
        throw std::bad_alloc();
    return p;
}

}  // namespace

namespace vovrest::bench {

std::uint64_t allocations() noexcept
{
    return thread_allocations;
}

}  // namespace vovrest::bench

// The nothrow forms are not replaced: libstdc++ implements them by calling these.
void* operator new(std::size_t size)
{
    return counted_alloc(size, 0);
}
void* operator new[](std::size_t size)
{
    return counted_alloc(size, 0);
}
void* operator new(std::size_t size, std::align_val_t align)
{
    return counted_alloc(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align)
{
    return counted_alloc(size, static_cast<std::size_t>(align));
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
