// The broker's wire protocol: what is accepted, and that everything else is refused.
#define BOOST_TEST_MODULE broker_protocol
#include <boost/test/unit_test.hpp>

#include <random>

#include "daemons/broker/broker_server.hpp"
#include "daemons/broker/protocol.hpp"

using namespace closedpaw;
using namespace closedpaw::broker;

namespace {
bool refused(const std::string& text) {
    auto r = parse_request(text);
    return !r && r.error().code == Errc::Protocol;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_well_formed_run_request_parses_with_all_fields) {
    auto r = parse_request(R"({"v":1,"verb":"run","skill":"attacker","operation":"echo",
        "params":{"a":[1,2]},"workspace":"ws-1","limits":{"timeout_ms":500,"memory_mb":32}})");
    BOOST_REQUIRE_MESSAGE(r.ok(), (r ? "" : r.error().message));
    BOOST_TEST(r->run.skill == "attacker");
    BOOST_TEST(r->run.workspace == "ws-1");
    BOOST_TEST(r->run.params["a"][1] == 2);
    BOOST_TEST(*r->run.limits.timeout_ms == 500u);
    // Round trip through the client's encoder gives the same request.
    auto again = parse_request(encode_request(*r));
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again->run.params == r->run.params);
    BOOST_TEST(*again->run.limits.memory_mb == 32u);
}

BOOST_AUTO_TEST_CASE(versions_verbs_and_keys_are_checked) {
    BOOST_TEST(parse_request(R"({"v":1,"verb":"hello"})").ok());
    BOOST_TEST(refused(R"({"verb":"hello"})"));
    BOOST_TEST(refused(R"({"v":2,"verb":"hello"})"));
    BOOST_TEST(refused(R"({"v":"1","verb":"hello"})"));
    BOOST_TEST(refused(R"({"v":1,"verb":"exec"})"));
    BOOST_TEST(refused(R"({"v":1,"verb":"hello","extra":1})"));
    BOOST_TEST(refused(R"([1,2,3])"));
    BOOST_TEST(refused(R"({"v":1,"verb":"hello")"));  // truncated
    BOOST_TEST(refused(""));
}

BOOST_AUTO_TEST_CASE(paths_and_shell_strings_never_pass_as_ids) {
    for (const char* bad : {"../etc", "/etc/passwd", "a b", "A", "x;rm -rf /", "", "-x"}) {
        std::string ws =
            std::string(R"({"v":1,"verb":"run","skill":"s","operation":"o","workspace":")") + bad +
            "\"}";
        std::string skill =
            std::string(R"({"v":1,"verb":"run","skill":")") + bad + R"(","operation":"o"})";
        if (*bad != 0) BOOST_TEST(refused(ws), bad);
        BOOST_TEST(refused(skill), bad);
    }
    BOOST_TEST(refused(R"({"v":1,"verb":"cancel","run_id":"../x"})"));
    BOOST_TEST(refused(R"({"v":1,"verb":"run","skill":"s","operation":"o","params":"rm -rf /"})"));
}

BOOST_AUTO_TEST_CASE(limits_must_be_positive_in_range_integers_and_only_tighten) {
    BOOST_TEST(
        refused(R"({"v":1,"verb":"run","skill":"s","operation":"o","limits":{"timeout_ms":0}})"));
    BOOST_TEST(
        refused(R"({"v":1,"verb":"run","skill":"s","operation":"o","limits":{"timeout_ms":-5}})"));
    BOOST_TEST(
        refused(R"({"v":1,"verb":"run","skill":"s","operation":"o","limits":{"pids":1e9}})"));
    BOOST_TEST(refused(R"({"v":1,"verb":"run","skill":"s","operation":"o","limits":{"cpu":5}})"));
    SkillLimits manifest;
    manifest.timeout_ms = 1000;
    manifest.memory_bytes = 64ull << 20;
    LimitsRequest ask;
    ask.timeout_ms = 999999;  // looser: ignored
    ask.memory_mb = 16;       // tighter: applied
    auto eff = ask.apply_to(manifest);
    BOOST_TEST(eff.timeout_ms == 1000u);
    BOOST_TEST(eff.memory_bytes == (16ull << 20));
    BOOST_TEST(eff.pids == manifest.pids);
}

BOOST_AUTO_TEST_CASE(hostile_nesting_is_refused_before_parsing) {
    std::string deep(10000, '[');
    deep += std::string(10000, ']');
    BOOST_TEST(!parse_json_bounded(deep, kMaxJsonDepth).ok());
    std::string in_params = R"({"v":1,"verb":"run","skill":"s","operation":"o","params":{"x":)" +
                            std::string(40, '[') + std::string(40, ']') + "}}";
    BOOST_TEST(refused(in_params));
    // Brackets inside strings do not count.
    auto ok = parse_json_bounded(R"({"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", 2);
    BOOST_TEST(ok.ok());
}

BOOST_AUTO_TEST_CASE(results_survive_the_round_trip_the_client_makes) {
    RunResult r;
    r.run_id = "r1-abc";
    r.exit_code = 0;
    r.timed_out = true;
    r.reply = {{"success", true}, {"data", {{"k", "v"}}}};
    r.stderr_tail = "warn";
    r.resources = Resources{12, 3, 4096};
    auto back = run_result_from_json(to_json(r));
    BOOST_REQUIRE(back.ok());
    BOOST_TEST(back->run_id == "r1-abc");
    BOOST_TEST(back->timed_out);
    BOOST_TEST(back->reply == r.reply);
    BOOST_TEST(back->resources->max_rss_kb == 4096u);
    BOOST_TEST(back->ok());
}

BOOST_AUTO_TEST_CASE(the_verb_table_allows_each_verb_only_in_its_states) {
    auto allowed = [](Verb v, ConnState s) { return verb_allowed(*find_verb_row(v), s); };
    BOOST_TEST(allowed(Verb::Hello, ConnState::AwaitHello));
    BOOST_TEST(!allowed(Verb::Hello, ConnState::Ready));
    BOOST_TEST(!allowed(Verb::Hello, ConnState::Running));
    for (Verb v : {Verb::Run, Verb::Cancel, Verb::List, Verb::Status})
        BOOST_TEST(!allowed(v, ConnState::AwaitHello), verb_name(v));
    BOOST_TEST(allowed(Verb::Run, ConnState::Ready));
    BOOST_TEST(!allowed(Verb::Run, ConnState::Running));  // one run at a time per connection
    for (Verb v : {Verb::Cancel, Verb::List, Verb::Status}) {
        BOOST_TEST(allowed(v, ConnState::Ready), verb_name(v));
        BOOST_TEST(allowed(v, ConnState::Running), verb_name(v));
    }
}

BOOST_AUTO_TEST_CASE(mutated_messages_are_parsed_or_refused_never_anything_else) {
    const std::string seed =
        R"({"v":1,"verb":"run","skill":"attacker","operation":"echo","params":{"a":[1,{"b":"c"}]},"workspace":"w1","limits":{"pids":4}})";
    std::mt19937 rng(1234);
    const std::string alphabet = "{}[]\":,\\0123456789abcdefv-_ \x01\xff";
    int parsed = 0, refused_count = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string m = seed;
        for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k) {
            std::size_t pos = rng() % m.size();
            switch (rng() % 3) {
                case 0:
                    m[pos] = alphabet[rng() % alphabet.size()];
                    break;
                case 1:
                    m.erase(pos, 1 + rng() % 8);
                    break;
                default:
                    m.insert(pos, 1, alphabet[rng() % alphabet.size()]);
                    break;
            }
            if (m.empty()) m = "{";
        }
        auto r = parse_request(m);
        if (r) {
            ++parsed;
            // Whatever parses is within the rules.
            if (r->verb == Verb::Run) {
                BOOST_TEST(valid_skill_id(r->run.skill));
                BOOST_TEST(r->run.params.is_object());
                BOOST_TEST((r->run.workspace.empty() || valid_workspace_id(r->run.workspace)));
            }
        } else {
            ++refused_count;
            BOOST_TEST(r.error().code == Errc::Protocol);
        }
    }
    BOOST_TEST(parsed > 0);
    BOOST_TEST(refused_count > 0);
}
