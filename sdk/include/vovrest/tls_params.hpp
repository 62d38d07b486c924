/// @file
/// vovrest::tls_params — how a session verifies an https:// Accelerator. Verification is on by
/// default (system store, SNI, host name check). Thread-safety: a plain value.
#pragma once

#include <string>

namespace vovrest {

/// How a session verifies an https:// Accelerator: the system's CA store, SNI and a host name
/// check by default; a failed verification is error::tls_failed. Ignored for http:// URLs.
/// Thread-safety: a plain value, copied into the session.
struct tls_params
{
    /// PEM bundle of an internal CA, added to the system store. Read when the session is built:
    /// an unreadable file throws error::tls_failed from the session's constructor.
    std::string ca_file;
    /// Hashed directory of CA certificates (c_rehash / openssl rehash), searched as well.
    std::string ca_dir;
    bool use_system_store = true;  ///< trust the system's CA store too
    /// Accept any certificate (self-signed sites): no verification at all, so anyone on the path
    /// can read the password and the token. Explicit, never a default.
    bool insecure_skip_verify = false;
};

}  // namespace vovrest
