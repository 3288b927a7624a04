// The textstats example skill, in process.
#define BOOST_TEST_MODULE textstats
#include <boost/test/unit_test.hpp>

#include "text_stats.hpp"

using namespace closedpaw;
using namespace closedpaw::textstats;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(counts_words_lines_and_characters) {
    auto s = compute_text_stats("The cat saw the other cat.\nThe end\n", 2);
    BOOST_TEST(s.bytes == 35u);
    BOOST_TEST(s.chars == 35u);
    BOOST_TEST(s.words == 8u);
    BOOST_TEST(s.lines == 2u);
    BOOST_TEST(s.unique_words == 5u);
    BOOST_REQUIRE(s.top_words.size() == 2u);
    BOOST_TEST(s.top_words[0].word == "the");
    BOOST_TEST(s.top_words[0].count == 3u);
    BOOST_TEST(s.top_words[1].word == "cat");
    BOOST_TEST(s.top_words[1].count == 2u);
}

BOOST_AUTO_TEST_CASE(non_ascii_words_and_edge_cases) {
    auto s = compute_text_stats("naïve café, naïve 日本語", 10);
    BOOST_TEST(s.chars == 21u);
    BOOST_TEST(s.words == 4u);
    BOOST_TEST(s.top_words[0].word == "naïve");
    BOOST_TEST(s.top_words[0].count == 2u);
    auto empty = compute_text_stats("", 10);
    BOOST_TEST(empty.words == 0u);
    BOOST_TEST(empty.lines == 0u);
    BOOST_TEST(empty.top_words.empty());
    BOOST_TEST(compute_text_stats("no newline", 0).lines == 1u);
    BOOST_TEST(compute_text_stats("a\n\n\nb", 0).lines == 4u);
}

BOOST_AUTO_TEST_CASE(the_operation_checks_params_and_settings) {
    auto ok = stats_operation({"stats", {{"text", "a b a"}, {"top", 1}}, json::object()});
    BOOST_TEST(ok.success);
    BOOST_TEST(ok.data["words"] == 3);
    BOOST_TEST(ok.data["top_words"].size() == 1u);
    BOOST_TEST(ok.audit.bytes == 5u);
    BOOST_TEST(ok.serialize().find("a b a") == std::string::npos);  // no content in the audit

    struct Case {
        skill::Request req;
        std::string words;
    };
    const std::vector<Case> cases = {
        {{"stats", json::object(), json::object()}, "params.text: missing"},
        {{"stats", {{"text", 5}}, json::object()}, "params.text"},
        {{"stats", {{"text", "x"}, {"top", 101}}, json::object()}, "params.top"},
        {{"stats", {{"text", "x"}, {"file", "/etc/passwd"}}, json::object()},
         "params.file: unknown key"},
        {{"stats", {{"text", "12345"}}, {{"max_text_bytes", 4}}}, "at most 4 bytes"},
        {{"stats",
          {{"text", std::string(kHardMaxTextBytes + 1, 'a')}},
          {{"max_text_bytes", 1ll << 40}}},
         "at most 1048576 bytes"},
        {{"stats", {{"text", "x"}}, {{"mode", "fast"}}}, "settings.mode: unknown key"},
    };
    for (const auto& c : cases) {
        auto r = stats_operation(c.req);
        BOOST_TEST(!r.success);
        BOOST_TEST(r.error.value_or("").find(c.words) != std::string::npos, r.error.value_or(""));
    }
}
