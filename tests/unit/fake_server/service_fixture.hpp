// A sans-I/O accelerator_service with hand-driven clocks, and helpers that speak to it.
#pragma once

#include "accelerator_service.hpp"
#include "jwt_hs256.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace vovrest::testing::detail::test {

namespace json = boost::json;

struct reply_view
{
    service_reply reply;
    json::value body() const { return json::parse(reply.body); }
    std::string error() const { return std::string(body().at("error").as_string()); }
    std::string header(std::string_view name) const
    {
        for (const auto& [k, v] : reply.headers)
            if (k == name)
                return v;
        return {};
    }
};

class service_test : public ::testing::Test
{
protected:
    std::chrono::system_clock::time_point wall{std::chrono::seconds{1'700'000'000}};
    std::chrono::steady_clock::time_point steady{std::chrono::hours{10}};

    void advance(std::chrono::milliseconds d)
    {
        wall += d;
        steady += d;
    }

    static fake_server_params default_params()
    {
        fake_server_params p;
        p.users = {{"demo", "demo", security_level::user},
                   {"other", "pw-other", security_level::user},
                   {"reader", "pw-reader", security_level::readonly},
                   {"lead", "pw-lead", security_level::leader},
                   {"root", "pw-root", security_level::admin}};
        p.job_schedule_delay = std::chrono::milliseconds{50};
        p.job_run_time = std::chrono::milliseconds{200};
        return p;
    }

    accelerator_service& make(fake_server_params p = default_params())
    {
        service_clock clock;
        clock.wall = [this] { return wall; };
        clock.steady = [this] { return steady; };
        service = std::make_unique<accelerator_service>(p, clock);
        return *service;
    }

    accelerator_service& svc()
    {
        if (!service)
            make();
        return *service;
    }

    reply_view send(std::string_view method, std::string_view target, std::string_view authorization = {},
                    std::string_view body = {}, std::string_view content_type = {})
    {
        return {svc().handle(service_request{method, target, authorization, content_type, body})};
    }

    reply_view post_token(std::string_view user, std::string_view password)
    {
        std::string body = "username=" + std::string(user) + "&password=" + std::string(password);
        return send("POST", "/api/v3/token", {}, body, "application/x-www-form-urlencoded");
    }

    // "Bearer:<token>" for a user, or a test failure.
    std::string login(std::string_view user = "demo", std::string_view password = "demo")
    {
        reply_view r = post_token(user, password);
        EXPECT_EQ(r.reply.status, 200u) << r.reply.body;
        if (r.reply.status != 200)
            return {};
        json::value v = r.body();
        return std::string(v.at("token_type").as_string()) + ":" + std::string(v.at("access_token").as_string());
    }

    reply_view get(std::string_view target, std::string_view auth) { return send("GET", target, auth); }

    std::int64_t submit(std::string_view auth, std::string_view body)
    {
        reply_view r = send("POST", "/api/v3/jobs", auth, body, "application/json");
        EXPECT_EQ(r.reply.status, 201u) << r.reply.body;
        if (r.reply.status != 201)
            return -1;
        return r.body().at("rows").at(0).at(0).as_int64();
    }

    std::string job_status(std::string_view auth, std::int64_t id)
    {
        reply_view r = get("/api/v3/jobs/" + std::to_string(id) + "/status", auth);
        if (r.reply.status != 200)
            return "HTTP " + std::to_string(r.reply.status);
        return std::string(r.body().at("rows").at(0).at(0).as_string());
    }

    fake_server_stats stats()
    {
        fake_server_stats s;
        svc().add_stats_to(s);
        return s;
    }

    std::unique_ptr<accelerator_service> service;
};

}  // namespace vovrest::testing::detail::test
