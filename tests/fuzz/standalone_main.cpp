// Runs a fuzz target without libFuzzer: every file of the corpus directories given on the
// command line, then a fixed set of mutations of each (truncations and byte flips), so that the
// ordinary builds prove each target runs clean. `fuzz` preset builds use libFuzzer instead.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& input)
{
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

void run_with_mutations(const std::string& input)
{
    run(input);
    for (std::size_t cut = 0; cut < input.size(); cut += 1 + input.size() / 16)
        run(input.substr(0, cut));
    std::uint32_t state = 2463534242u;  // xorshift: the same mutations on every run
    for (int i = 0; i < 64 && !input.empty(); ++i)
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        std::string mutated = input;
        mutated[state % mutated.size()] = static_cast<char>(state >> 24);
        run(mutated);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    std::size_t files = 0;
    for (int i = 1; i < argc; ++i)
    {
        for (const auto& entry : std::filesystem::directory_iterator(argv[i]))
        {
            std::ifstream in(entry.path(), std::ios::binary);
            run_with_mutations(std::string(std::istreambuf_iterator<char>(in), {}));
            ++files;
        }
    }
    run_with_mutations(std::string());
    std::printf("%zu corpus files run with their mutations\n", files);
    return files > 0 ? 0 : 1;
}
