#include "cli_progress.hpp"

#include <string>

namespace vovrest::cli {

progress_bar::progress_bar(std::FILE* out) : out_(out), start_(std::chrono::steady_clock::now()) {}

void progress_bar::update(const submit_progress& p)
{
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100) && p.done != p.total)
        return;
    last_draw_ = now;
    draw(p);
}

void progress_bar::finish(const submit_progress& p)
{
    draw(p);
    std::fputc('\n', out_);
    std::fflush(out_);
}

void progress_bar::draw(const submit_progress& p)
{
    constexpr std::size_t width = 30;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = p.total == 0 ? 1.0 : static_cast<double>(p.done) / static_cast<double>(p.total);
    const double rate = seconds > 0 ? static_cast<double>(p.done) / seconds : 0.0;
    const auto filled = static_cast<std::size_t>(fraction * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    char eta[32] = "--";
    if (rate > 0)
    {
        const auto left = static_cast<long long>(static_cast<double>(p.total - p.done) / rate + 0.5);
        std::snprintf(eta, sizeof eta, "%lld:%02lld", left / 60, left % 60);
    }
    std::fprintf(out_, "\r[%s] %zu/%zu %3.0f%%  %.0f jobs/s  ETA %s  (failed %zu, unknown %zu) ", bar.c_str(), p.done,
                 p.total, fraction * 100.0, rate, eta, p.failed, p.unknown);
    std::fflush(out_);
}

}  // namespace vovrest::cli
