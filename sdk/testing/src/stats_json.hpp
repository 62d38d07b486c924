// fake_server_stats as the JSON object that GET /__fake/stats answers: one member per field,
// with the same names. Private to vovrest::testing.
#pragma once

#include <vovrest/testing/fake_server.hpp>

#include <string>

namespace vovrest::testing::detail {

std::string to_json(const fake_server_stats& stats);

}  // namespace vovrest::testing::detail
