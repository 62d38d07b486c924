/// @file
/// vovrest: the whole public API in one include.
#pragma once

#include <vovrest/base_url.hpp>
#include <vovrest/diagnostics.hpp>
#include <vovrest/error.hpp>
#include <vovrest/events.hpp>
#include <vovrest/jobs.hpp>
#include <vovrest/password_provider.hpp>
#include <vovrest/project.hpp>
#include <vovrest/query.hpp>
#include <vovrest/request.hpp>
#include <vovrest/response.hpp>
#include <vovrest/session.hpp>
#include <vovrest/session_params.hpp>
#include <vovrest/submit_many.hpp>
#include <vovrest/table.hpp>
#include <vovrest/tls_params.hpp>
#include <vovrest/token_params.hpp>
#include <vovrest/version.hpp>

/// @namespace vovrest
/// The vovrest SDK: a C++20 coroutine client for the Altair Accelerator (VOV/NC) REST API v3.
/// Everything outside vovrest::detail is public API.
