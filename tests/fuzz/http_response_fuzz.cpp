// The SDK's reading of one HTTP response (http_response_reading.hpp: Beast's parser with the
// transport's limits), with the stream split into reads where the fuzzer chooses. What the
// transport relies on: a complete message is reported once; whether there is one, and where it
// ends, does not depend on how the bytes were split into reads; it ends where the same bytes
// alone end it; and every byte after it is counted as left over (such a connection is never
// reused).
//
// Input: the stream from the front; from the back (FuzzedDataProvider), HEAD or not, whether the
// peer closes after the stream, and up to 16 read sizes.
#include "http_response_reading.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

using vovrest::fuzz::read_one_response;
using vovrest::fuzz::response_read;

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// Whether a stream is rejected at once or only when it ends (or the header limit is reached)
// depends on the reads: Beast looks for the end of the head before it checks the fields that
// came in pieces. Neither gives a message; only a message must not depend on the reads.
bool same_message(const response_read& a, const response_read& b)
{
    using outcome = response_read::outcome;
    if (a.result != outcome::complete || b.result != outcome::complete)
        return a.result != outcome::complete && b.result != outcome::complete;
    return a.status == b.status && a.body == b.body && a.keep_alive == b.keep_alive && a.consumed == b.consumed
           && a.left_over == b.left_over;
}

// For the reproducer's report: what each reading made of the stream.
void print(const char* what, const response_read& r)
{
    std::fprintf(stderr,
                 "%s: outcome %d (%s), status %u, body %zu bytes, keep-alive %d, %zu reads, consumed %zu, "
                 "left over %zu\n",
                 what, static_cast<int>(r.result), r.ec.message().c_str(), r.status, r.body.size(),
                 r.keep_alive ? 1 : 0, r.reads, r.consumed, r.left_over);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider provider(data, size);
    const bool head = provider.ConsumeBool();
    const bool eof = provider.ConsumeBool();
    std::vector<std::size_t> read_sizes(provider.ConsumeIntegralInRange<std::size_t>(0, 16));
    for (auto& n : read_sizes)
        n = provider.ConsumeIntegralInRange<std::size_t>(1, 1 << 17);
    const std::string stream = provider.ConsumeRemainingBytesAsString();

    std::vector<std::string_view> reads;
    std::string_view rest = stream;
    for (std::size_t n : read_sizes)
    {
        if (rest.empty())
            break;
        reads.push_back(rest.substr(0, n));
        rest.remove_prefix(reads.back().size());
    }
    if (!rest.empty())
        reads.push_back(rest);

    const response_read split = read_one_response(reads, eof, head);
    check(split.completions == (split.result == response_read::outcome::complete ? 1u : 0u));
    if (split.result == response_read::outcome::complete)
    {
        check(split.consumed > 0 && split.consumed + split.left_over == stream.size());
        check(split.body.size() <= vovrest::fuzz::response_read_limits{}.max_body_bytes);
        check(!head || split.body.empty());
    }

    // The same bytes in one read: the same outcome, the message ending at the same byte.
    const std::string_view whole[] = {stream};
    const response_read joined =
        read_one_response(stream.empty() ? std::span<const std::string_view>{} : whole, eof, head);
    if (!same_message(split, joined))
    {
        print("split into reads", split);
        print("in one read", joined);
        check(false);
    }

    // The message's own bytes, and no more, make the same message: it is delimited by its
    // framing, or by the end of the stream when it has none (then nothing can be left over).
    if (split.result == response_read::outcome::complete)
    {
        const std::string_view own[] = {std::string_view(stream).substr(0, split.consumed)};
        const response_read alone = read_one_response(own, false, head);
        if (alone.result == response_read::outcome::complete)
            check(alone.status == split.status && alone.body == split.body && alone.left_over == 0);
        else
            check(alone.result == response_read::outcome::waiting && eof && split.left_over == 0);
    }
    return 0;
}
