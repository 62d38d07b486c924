// HTTPS with the certificate the fake server generates at start: a client that trusts exactly
// that certificate, verifies the peer and checks the host name gets through; others do not.
#include "raw_http_client.hpp"

#include <vovrest/testing/fake_server.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <unistd.h>

namespace {

namespace vt = vovrest::testing;
using namespace vovrest::test;

class FakeServerHttps : public ::testing::Test
{
protected:
    void SetUp() override
    {
        cert_file_ = ::testing::TempDir() + "vovrest-fake-server-" + std::to_string(::getpid()) + ".pem";
        vt::fake_server_params p;
        p.tls.enabled = true;
        p.tls.write_cert_file = cert_file_;
        server_ = std::make_unique<vt::fake_server>(p);
        server_->start();
    }
    void TearDown() override
    {
        server_.reset();
        std::remove(cert_file_.c_str());
    }

    raw_client_options trusting(std::string host = {}) const
    {
        raw_client_options options;
        options.ca_pem = server_->certificate_pem();
        options.verify_peer = true;
        options.verify_host = std::move(host);
        return options;
    }

    std::string cert_file_;
    std::unique_ptr<vt::fake_server> server_;
};

TEST_F(FakeServerHttps, UrlIsHttpsAndTheCertificateIsPem)
{
    EXPECT_EQ(server_->url(), "https://127.0.0.1:" + std::to_string(server_->port()));
    EXPECT_EQ(server_->certificate_pem().rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
    std::ifstream in(cert_file_);
    const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(written, server_->certificate_pem());
}

TEST_F(FakeServerHttps, VerifiedClientGetsATokenAndUsesIt)
{
    // The host name check against the URL's IP address (subjectAltName IP:127.0.0.1).
    raw_connection connection(server_->url(), trusting());
    const auto token = connection.send(token_request("demo", "demo"));
    ASSERT_EQ(token.status, 200u) << token.body;
    const auto project =
        connection.send(get("/api/v3/project/1/project", authorization_from_token_response(token.body)));
    EXPECT_EQ(project.status, 200u);
    EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(FakeServerHttps, CertificateNamesLocalhost)
{
    raw_connection connection(server_->url(), trusting("localhost"));
    EXPECT_EQ(connection.send(token_request("demo", "demo")).status, 200u);
}

TEST_F(FakeServerHttps, OtherHostNameIsRefused)
{
    try
    {
        raw_connection connection(server_->url(), trusting("example.com"));
        ADD_FAILURE() << "the handshake should have failed";
    }
    catch (const std::system_error& e)
    {
        EXPECT_TRUE(is_tls_failure(e.code())) << e.code().message();
    }
}

TEST_F(FakeServerHttps, ClientTrustingNothingIsRefused)
{
    raw_client_options options;  // verify_peer with an empty trust store
    try
    {
        raw_connection connection(server_->url(), options);
        ADD_FAILURE() << "the handshake should have failed";
    }
    catch (const std::system_error& e)
    {
        EXPECT_TRUE(is_tls_failure(e.code())) << e.code().message();
    }
}

TEST_F(FakeServerHttps, AnnouncedCloseEndsWithCloseNotify)
{
    vt::fake_faults faults;
    faults.close_fraction = 1.0;
    server_->set_faults(faults);
    raw_connection connection(server_->url(), trusting());
    const auto response = connection.send(token_request("demo", "demo"));
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.header("Connection"), "close");
    EXPECT_TRUE(is_closed_by_peer(connection.wait_closed()));
    EXPECT_EQ(server_->stats().closes_announced, 1u);
}

TEST_F(FakeServerHttps, PlainHttpClientGetsNoAnswer)
{
    const auto plain_url = "http://127.0.0.1:" + std::to_string(server_->port());
    raw_connection connection(plain_url);
    raw_response response;
    EXPECT_TRUE(connection.try_send(get("/api/v3/project/1/project"), response));
}

}  // namespace
