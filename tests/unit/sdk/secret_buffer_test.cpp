// The memory that holds the password and the token request's form body: its contents survive
// growing, and its pages are marked for core dumps to leave out (the flag the kernel and gdb's
// gcore read).
#include <vovrest/detail/secret_buffer.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace vovrest::detail {
namespace {

// The VmFlags of the mapping that holds `address`, from /proc/self/smaps.
std::string vm_flags_of(const void* address)
{
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line))
    {
        std::uintptr_t from = 0;
        std::uintptr_t to = 0;
        char dash = 0;
        std::istringstream range(line);
        if (range >> std::hex >> from >> dash >> to && dash == '-')
            inside = from <= at && at < to;
        else if (inside && line.rfind("VmFlags:", 0) == 0)
            return line;
    }
    return {};
}

TEST(secret_buffer, keeps_what_is_appended_across_growth)
{
    secret_buffer buffer(8);
    buffer.append("username=");
    std::string expected = "username=";
    for (int i = 0; i < 3000; ++i)  // several pages: grown twice at least
    {
        buffer.append("abc&");
        expected += "abc&";
    }
    EXPECT_EQ(buffer.view(), expected);
    buffer.truncate(9);
    EXPECT_EQ(buffer.view(), "username=");
    secret_buffer moved = std::move(buffer);
    EXPECT_EQ(moved.view(), "username=");
    EXPECT_TRUE(buffer.empty());
    moved.release();
    EXPECT_TRUE(moved.empty());
}

TEST(secret_buffer, its_pages_are_left_out_of_core_dumps)
{
    secret_buffer buffer(100);
    buffer.append("password=hunter2");
    const std::string flags = vm_flags_of(buffer.view().data());
    ASSERT_FALSE(flags.empty()) << "no mapping found in /proc/self/smaps";
    EXPECT_NE(flags.find(" dd"), std::string::npos) << flags;
    buffer.append(std::string(10000, 'x'));  // grown into new pages: marked as well
    EXPECT_NE(vm_flags_of(buffer.view().data()).find(" dd"), std::string::npos);
}

TEST(secret_buffer, an_empty_one_holds_no_pages)
{
    secret_buffer buffer;
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(buffer.view().size(), 0u);
    buffer.append("");
    EXPECT_TRUE(buffer.empty());
}

}  // namespace
}  // namespace vovrest::detail
