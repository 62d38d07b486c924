#include "self_signed_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace vovrest::testing::detail {
namespace {

template <auto Free>
struct openssl_deleter
{
    template <class T>
    void operator()(T* p) const noexcept
    {
        Free(p);
    }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;

[[noreturn]] void fail(const char* what)
{
    char text[256] = "unknown error";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    throw std::runtime_error(std::string("self-signed certificate: ") + what + ": " + text);
}

void check(int result, const char* what)
{
    if (result <= 0)
        fail(what);
}

void add_extension(X509* cert, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    extension_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
    if (!ext)
        fail("extension");
    check(X509_add_ext(cert, ext.get(), -1), "add extension");
}

std::string to_string(BIO* bio)
{
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

pem_certificate make_self_signed_certificate()
{
    pkey_ptr key{EVP_EC_gen("P-256")};
    if (!key)
        fail("key generation");

    x509_ptr cert{X509_new()};
    if (!cert)
        fail("X509_new");
    check(X509_set_version(cert.get(), 2), "version");  // v3

    // A random positive 127-bit serial: a client that cached an earlier run's certificate must
    // not see two different certificates with the same issuer and serial.
    bignum_ptr serial{BN_new()};
    if (!serial)
        fail("BN_new");
    check(BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "serial");
    check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr ? 1 : 0, "serial");

    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60L * 60)
        || !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 60 * 60))
        fail("validity");

    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("vovrest fake server"), -1, -1, 0),
          "subject");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                                     -1, 0),
          "subject");
    check(X509_set_issuer_name(cert.get(), name), "issuer");
    check(X509_set_pubkey(cert.get(), key.get()), "public key");

    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    add_extension(cert.get(), NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
        fail("sign");

    pem_certificate result;
    {
        bio_ptr bio{BIO_new(BIO_s_mem())};
        if (!bio)
            fail("BIO_new");
        check(PEM_write_bio_X509(bio.get(), cert.get()), "write certificate");
        result.certificate = to_string(bio.get());
    }
    {
        bio_ptr bio{BIO_new(BIO_s_mem())};
        if (!bio)
            fail("BIO_new");
        check(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), "write key");
        result.private_key = to_string(bio.get());
        // The key also sits in the BIO's buffer: BIO_free_all of a mem BIO does not wipe it.
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio.get(), &data);
        if (data != nullptr && size > 0)
            OPENSSL_cleanse(data, static_cast<std::size_t>(size));
    }
    return result;
}

}  // namespace vovrest::testing::detail
