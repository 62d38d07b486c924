// Private to table.cpp: the compact encoding of table cells, and the byte array that holds them.
//
// A cell is a tag byte, then what the tag says: nothing (null, false, true, integers 0..239 in
// the tag itself), a LEB128 varint (other integers), 8 bytes (a double), or a varint length and
// the bytes (a string, or the JSON text of an array or object cell). A cell takes no more bytes
// than its JSON text plus the comma after it, except doubles written in fewer than 8 characters.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace vovrest::detail {

// A malloc'd array of a trivially copyable type that grows and shrinks with realloc: a large
// block is mmap'd by malloc, and realloc then moves or trims its pages (mremap) instead of copying
// them, so growing never holds two copies, and reserved pages never touched take no memory.
template <class T>
class growable_array
{
    static_assert(std::is_trivially_copyable_v<T>);

public:
    growable_array() = default;
    growable_array(const growable_array&) = delete;
    growable_array& operator=(const growable_array&) = delete;
    ~growable_array() { std::free(data_); }

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }

    // False (and nothing changed) when the memory cannot be had.
    bool try_reserve(std::size_t n) noexcept
    {
        if (n <= capacity_)
            return true;
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            return false;
        void* grown = std::realloc(data_, n * sizeof(T));
        if (grown == nullptr)
            return false;
        data_ = static_cast<T*>(grown);
        capacity_ = n;
        return true;
    }

    // Room for n more elements; returns where they go. commit() says how many were written.
    T* extend(std::size_t n)
    {
        if (n > capacity_ - size_)
        {
            const std::size_t wanted = size_ + n;
            const std::size_t grown = capacity_ + capacity_ / 2;
            if (wanted < size_ || !try_reserve(wanted > grown ? wanted : (grown < 64 ? 64 : grown)))
                throw std::bad_alloc();
        }
        return data_ + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }
    void push_back(T value)
    {
        *extend(1) = value;
        ++size_;
    }
    void truncate(std::size_t n) noexcept { size_ = n; }
    void clear() noexcept { size_ = 0; }

    // Gives back the capacity beyond size() (in place: realloc never moves a block it shrinks).
    void shrink_to_fit() noexcept
    {
        if (capacity_ == size_)
            return;
        if (size_ == 0)
        {
            std::free(data_);
            data_ = nullptr;
            capacity_ = 0;
            return;
        }
        if (void* shrunk = std::realloc(data_, size_ * sizeof(T)))
        {
            data_ = static_cast<T*>(shrunk);
            capacity_ = size_;
        }
    }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

namespace table_codec {

enum tag : unsigned char
{
    null_tag = 0,
    false_tag = 1,
    true_tag = 2,
    int_tag = 3,       // a varint: a non-negative int64
    negative_tag = 4,  // a varint: ~value of a negative int64
    uint_tag = 5,      // a varint: a uint64 above INT64_MAX (JSON numbers too large for int64)
    double_tag = 6,    // 8 bytes
    string_tag = 7,    // a varint length, the bytes
    json_tag = 8,      // a varint length, the JSON text of an array or object
    small_tag = 16,    // small_tag + n for an integer n in 0..small_max
};
inline constexpr unsigned small_max = 255 - small_tag;

// The most bytes a scalar cell takes (a tag and a 10-byte varint), and a string of n bytes.
inline constexpr std::size_t max_scalar = 11;
inline constexpr std::size_t string_bound(std::size_t n) noexcept
{
    return 11 + n;
}

inline unsigned char* put_varint(unsigned char* out, std::uint64_t v) noexcept
{
    while (v >= 0x80)
    {
        *out++ = static_cast<unsigned char>(v | 0x80);
        v >>= 7;
    }
    *out++ = static_cast<unsigned char>(v);
    return out;
}

inline const unsigned char* get_varint(const unsigned char* in, std::uint64_t& v) noexcept
{
    v = 0;
    for (unsigned shift = 0;; shift += 7)
    {
        const unsigned char byte = *in++;
        v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0)
            return in;
    }
}

inline unsigned char* put_null(unsigned char* out) noexcept
{
    *out++ = null_tag;
    return out;
}

inline unsigned char* put_bool(unsigned char* out, bool b) noexcept
{
    *out++ = b ? true_tag : false_tag;
    return out;
}

inline unsigned char* put_int64(unsigned char* out, std::int64_t i) noexcept
{
    if (i >= 0 && i <= static_cast<std::int64_t>(small_max))
    {
        *out++ = static_cast<unsigned char>(small_tag + i);
        return out;
    }
    *out++ = i >= 0 ? int_tag : negative_tag;
    return put_varint(out, i >= 0 ? static_cast<std::uint64_t>(i) : ~static_cast<std::uint64_t>(i));
}

inline unsigned char* put_uint64(unsigned char* out, std::uint64_t u) noexcept
{
    *out++ = uint_tag;
    return put_varint(out, u);
}

inline unsigned char* put_double(unsigned char* out, double d) noexcept
{
    *out++ = double_tag;
    std::memcpy(out, &d, sizeof d);
    return out + sizeof d;
}

inline unsigned char* put_bytes(unsigned char* out, tag t, std::string_view text) noexcept
{
    *out++ = t;
    out = put_varint(out, text.size());
    if (!text.empty())
        std::memcpy(out, text.data(), text.size());
    return out + text.size();
}

inline unsigned char* put_string(unsigned char* out, std::string_view text) noexcept
{
    return put_bytes(out, string_tag, text);
}

inline unsigned char* put_json_text(unsigned char* out, std::string_view text) noexcept
{
    return put_bytes(out, json_tag, text);
}

// The bytes of a string or JSON-text cell.
inline std::string_view bytes_of(const unsigned char* cell) noexcept
{
    std::uint64_t size = 0;
    const unsigned char* at = get_varint(cell + 1, size);
    return {reinterpret_cast<const char*>(at), static_cast<std::size_t>(size)};
}

// The cell after this one.
inline const unsigned char* skip(const unsigned char* cell) noexcept
{
    std::uint64_t v = 0;
    switch (*cell)
    {
    case int_tag:
    case negative_tag:
    case uint_tag: return get_varint(cell + 1, v);
    case double_tag: return cell + 1 + sizeof(double);
    case string_tag:
    case json_tag:
    {
        const std::string_view bytes = bytes_of(cell);
        return reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size();
    }
    default: return cell + 1;
    }
}

inline bool is_null(const unsigned char* cell) noexcept
{
    return *cell == null_tag;
}
inline bool is_string(const unsigned char* cell) noexcept
{
    return *cell == string_tag;
}
inline bool is_int(const unsigned char* cell) noexcept
{
    return *cell >= small_tag || *cell == int_tag || *cell == negative_tag || *cell == uint_tag;
}
inline std::string_view string(const unsigned char* cell) noexcept
{
    return bytes_of(cell);
}

// An integer cell that fits an int64.
inline std::optional<std::int64_t> integer(const unsigned char* cell) noexcept
{
    if (*cell >= small_tag)
        return static_cast<std::int64_t>(*cell - small_tag);
    std::uint64_t v = 0;
    switch (*cell)
    {
    case int_tag:
    case uint_tag:
        get_varint(cell + 1, v);
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return static_cast<std::int64_t>(v);
    case negative_tag: get_varint(cell + 1, v); return static_cast<std::int64_t>(~v);
    default: return std::nullopt;
    }
}

inline double double_of(const unsigned char* cell) noexcept
{
    double d = 0;
    std::memcpy(&d, cell + 1, sizeof d);
    return d;
}

inline boost::json::value to_json(const unsigned char* cell)
{
    if (auto n = integer(cell))
        return *n;
    std::uint64_t v = 0;
    switch (*cell)
    {
    case null_tag: return nullptr;
    case false_tag: return false;
    case true_tag: return true;
    case uint_tag: get_varint(cell + 1, v); return v;
    case double_tag: return double_of(cell);
    case string_tag: return boost::json::string(bytes_of(cell));
    case json_tag: return boost::json::parse(bytes_of(cell));  // text this codec wrote: valid JSON
    default: return nullptr;
    }
}

// As table_cell::as_string: a string as it is, null as "", anything else as its JSON text.
inline std::string to_text(const unsigned char* cell)
{
    switch (*cell)
    {
    case null_tag: return {};
    case false_tag: return "false";
    case true_tag: return "true";
    case string_tag:
    case json_tag: return std::string(bytes_of(cell));
    case double_tag: return boost::json::serialize(boost::json::value(double_of(cell)));
    default: break;
    }
    char digits[24];
    std::to_chars_result end{};
    if (auto n = integer(cell))
        end = std::to_chars(digits, digits + sizeof digits, *n);
    else
    {
        std::uint64_t v = 0;
        get_varint(cell + 1, v);
        end = std::to_chars(digits, digits + sizeof digits, v);
    }
    return std::string(digits, end.ptr);
}

}  // namespace table_codec
}  // namespace vovrest::detail
