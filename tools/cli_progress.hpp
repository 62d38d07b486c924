// The progress bar of `vovrest submit --file` on a terminal's stderr: done/total, percentage,
// rate and time left, redrawn in place at most ten times a second.
#pragma once

#include <vovrest/submit_many.hpp>

#include <chrono>
#include <cstdio>

namespace vovrest::cli {

class progress_bar
{
public:
    explicit progress_bar(std::FILE* out);
    void update(const submit_progress& p);  // redraws unless the last redraw was just now
    void finish(const submit_progress& p);  // final redraw and a newline

private:
    void draw(const submit_progress& p);

    std::FILE* out_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace vovrest::cli
