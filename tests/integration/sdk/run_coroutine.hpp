// Runs one coroutine to its end on an io_context and hands back its value or rethrows its
// exception (use_future carries both), so a test reads like straight-line code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace vovrest::test {

template <class T>
T run_coroutine(boost::asio::io_context& io, boost::asio::awaitable<T> work)
{
    auto result = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
    io.restart();
    io.run();
    return result.get();
}

}  // namespace vovrest::test
