// Private to the SDK: what the typed calls' async forms need of a session beyond its public
// interface (where an operation of its own runs).
#pragma once

#include <vovrest/session.hpp>

#include <boost/asio/any_io_executor.hpp>

namespace vovrest::detail {

struct session_access
{
    // A strand of its own over the session's executor, or that executor when it is serialized
    // (single_threaded, or a strand): where the session runs an operation spawned for a caller.
    static boost::asio::any_io_executor operation_executor(const session& s);
};

}  // namespace vovrest::detail
