// The tags of a submit_many batch: the jobname each job is sent with, and which job a jobname
// read back from the server belongs to (see submit_many_options: tag_prefix, jobnames_unique).
// Pure functions of the specs and the batch's id. Thread-safety: const members may be called
// from any thread at once.
#pragma once

#include <vovrest/jobs.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vovrest::detail {

// True when `prefix` can be used as submit_many_options::tag_prefix: 1 to 32 characters from
// [A-Za-z0-9_-], which read the same in a selection rule whether `~` means "contains" or a
// regular expression.
bool valid_tag_prefix(std::string_view prefix) noexcept;

// A VOV selection rule value: bare when it is a plain word, else double-quoted (a double quote
// or a backslash inside escaped with a backslash).
std::string rule_value(std::string_view text);

class batch_tags
{
public:
    // `specs` must outlive the tags. Without `reconcile`, jobnames are sent as given and nothing
    // is a tag. With `jobnames_unique`, a job whose jobname is not empty and appears once in the
    // batch is its own tag.
    batch_tags(std::span<const job_spec> specs, bool reconcile, bool jobnames_unique, std::string_view prefix,
               std::string_view batch_id);

    // "<prefix>-<batch>-<index>", "<jobname>.<prefix>-<batch>-<index>", or the caller's jobname.
    std::string jobname(std::size_t job) const;
    // The job whose tag `name` is exactly; nullopt for anyone else's jobname.
    std::optional<std::size_t> job_of(std::string_view name) const;
    // The job's own jobname is its tag (no batch prefix to page over).
    bool caller_tag(std::size_t job) const { return caller_tag_[job]; }
    // "<prefix>-<batch>-": what every generated tag of the batch contains.
    const std::string& marker() const noexcept { return marker_; }

private:
    std::span<const job_spec> specs_;
    bool reconcile_;
    std::string marker_;
    std::vector<bool> caller_tag_;
    std::unordered_map<std::string_view, std::size_t> caller_tags_;  // caller's jobname -> job
};

}  // namespace vovrest::detail
