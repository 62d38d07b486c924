// vovrest::tls_params — how a session verifies an https:// Accelerator. Verification is on by
// default (system store, SNI, host name check). Thread-safety: a plain value.
#pragma once

#include <string>

namespace vovrest {

struct tls_params
{
    std::string ca_file;                // PEM bundle of an internal CA (added to the system store)
    std::string ca_dir;                 // hashed directory of CA certificates
    bool use_system_store = true;       // trust the system's CA store too
    bool insecure_skip_verify = false;  // accept any certificate (self-signed sites); explicit
};

}  // namespace vovrest
