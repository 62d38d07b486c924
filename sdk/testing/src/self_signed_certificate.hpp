// A throwaway certificate for the fake server's HTTPS: an EC P-256 key and a self-signed X.509
// certificate for localhost and 127.0.0.1, made with OpenSSL 3 at start. Private to
// vovrest::testing.
#pragma once

#include <string>

namespace vovrest::testing::detail {

struct pem_certificate
{
    std::string certificate;  // PEM "CERTIFICATE"
    std::string private_key;  // PEM "PRIVATE KEY" (PKCS#8)
};

// subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1; valid from one hour ago for one day.
// CA:TRUE so that clients can load it as their trust anchor. Throws std::runtime_error.
pem_certificate make_self_signed_certificate();

}  // namespace vovrest::testing::detail
