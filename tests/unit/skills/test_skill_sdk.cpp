// The skill SDK: the request envelope, field helpers, encodings, dispatch and the shape of
// the OperationResult the broker and the front daemon parse.
#define BOOST_TEST_MODULE skill_sdk
#include <boost/test/unit_test.hpp>

#include "encoding.hpp"
#include "params.hpp"
#include "protocol.hpp"
#include "skill_main.hpp"

using namespace closedpaw;
using namespace closedpaw::skill;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(a_well_formed_request_parses_with_defaults) {
    auto r = parse_request(R"({"operation": "read", "params": {"path": "a.txt"}})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->operation == "read");
    BOOST_TEST(r->params["path"] == "a.txt");
    BOOST_TEST(r->settings == json::object());
    auto bare = parse_request(R"({"operation": "list", "params": null})");
    BOOST_REQUIRE(bare.ok());
    BOOST_TEST(bare->params == json::object());
}

BOOST_AUTO_TEST_CASE(malformed_requests_are_refused_with_a_reason) {
    std::string deep(1000, '[');
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "not valid JSON"},
        {"{\"operation\": \"read\"", "not valid JSON"},
        {"[1, 2]", "not a JSON object"},
        {R"({"params": {}})", "'operation' must be a string"},
        {R"({"operation": 7})", "'operation' must be a string"},
        {R"({"operation": "Read"})", "not an operation name"},
        {R"({"operation": "../x"})", "not an operation name"},
        {R"({"operation": "read", "params": [1]})", "'params' must be an object"},
        {R"({"operation": "read", "settings": "x"})", "'settings' must be an object"},
        {R"({"operation": "read", "shell": "sh -c id"})", "unknown key 'shell'"},
        {R"({"operation": "read", "params": )" + deep + "}", "nested deeper"},
        {"{\"operation\": \"read\", \"params\": {\"path\": \"\xff\"}}", "not valid JSON"},
    };
    for (const auto& [text, words] : cases) {
        auto r = parse_request(text);
        BOOST_TEST(!r.ok(), text.substr(0, 60));
        if (!r) {
            BOOST_TEST(r.error().message.find(words) != std::string::npos, r.error().message);
        }
    }
    // Brackets inside strings are not nesting.
    BOOST_TEST(parse_request(R"({"operation": "x", "params": {"t": ")" + deep + R"("}})").ok());
    auto huge = parse_request(std::string(kMaxRequestBytes + 1, ' '));
    BOOST_TEST((!huge.ok() && huge.error().code == Errc::LimitExceeded));
}

BOOST_AUTO_TEST_CASE(fields_check_types_ranges_and_unknown_keys) {
    json obj = {{"s", "abc"}, {"n", 5},          {"neg", -1},
                {"b", true},  {"a", {"x", "y"}}, {"big", 1ull << 63}};
    Fields f(obj, "params");
    BOOST_TEST(*f.require_string("s", 3) == "abc");
    BOOST_TEST(f.require_string("s", 2).error().message ==
               "params.s: must be a string of at most 2 bytes");
    BOOST_TEST(f.require_string("missing", 9).error().message.find("params.missing: missing") ==
               0u);
    BOOST_TEST(!f.optional_string("missing", 9)->has_value());
    BOOST_TEST(**f.optional_int("n", 0, 10) == 5);
    BOOST_TEST(!f.optional_int("n", 6, 10).ok());
    BOOST_TEST(!f.optional_int("neg", 0, 10).ok());
    BOOST_TEST(!f.optional_int("big", 0, 1000).ok());
    BOOST_TEST(!f.optional_int("s", 0, 10).ok());
    BOOST_TEST(**f.optional_bool("b") == true);
    BOOST_TEST(!f.optional_bool("n").ok());
    BOOST_TEST((**f.optional_string_array("a", 2, 1) == std::vector<std::string>{"x", "y"}));
    BOOST_TEST(!f.optional_string_array("a", 1, 1).ok());
    auto unknown = f.only_keys({"s", "n"});
    BOOST_TEST(!unknown.ok());
    BOOST_TEST(unknown.error().message.find("unknown key (expected one of: s, n)") !=
               std::string::npos);
    BOOST_TEST((unknown.error().code == Errc::InvalidArgument));
}

BOOST_AUTO_TEST_CASE(base64_and_utf8_are_strict) {
    for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                          std::string("\0\xff\x10", 3)})
        BOOST_TEST(*base64_decode(base64_encode(s)) == s);
    BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
    for (auto bad : {"Zm9vYg=", "Zm9v\nYg==", "Zm9vYh==", "Zm=vYg==", "Zm9vY===", "*m9v"})
        BOOST_TEST(!base64_decode(bad).ok(), bad);
    BOOST_TEST(valid_utf8("plain ascii"));
    BOOST_TEST(valid_utf8("na\xc3\xafve \xe6\x97\xa5 \xf0\x9f\x98\x80"));
    for (auto bad :
         {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\x80"})
        BOOST_TEST(!valid_utf8(bad));
    BOOST_TEST(utf8_length("na\xc3\xafve") == 5u);
    BOOST_TEST(is_plain_text("tabs\tand\r\nlines, \xc3\xaf"));
    BOOST_TEST(!is_plain_text(std::string("nul\0", 4)));
    BOOST_TEST(!is_plain_text("bell\x07"));
    BOOST_TEST(!is_plain_text("\xff"));
}

BOOST_AUTO_TEST_CASE(results_have_the_protocol_shape) {
    auto ok = OperationResult::ok({{"n", 1}}, std::string("a.txt"), 7);
    ok.audit.operation = "read";
    auto j = json::parse(ok.serialize());
    BOOST_TEST(j["success"] == true);
    BOOST_TEST(j["data"]["n"] == 1);
    BOOST_TEST(j["error"].is_null());
    BOOST_TEST(j["path"] == "a.txt");
    BOOST_TEST(j["audit"]["operation"] == "read");
    BOOST_TEST(j["audit"]["bytes"] == 7);
    BOOST_TEST(j["audit"]["outcome"] == "ok");
    BOOST_TEST(!j["audit"].contains("error_code"));

    auto no = OperationResult::refused(make_error(Errc::AccessDenied, "nope"));
    no.path = std::string("bad\xff");
    auto k = json::parse(no.serialize());  // invalid UTF-8 is replaced, the JSON stays valid
    BOOST_TEST(k["success"] == false);
    BOOST_TEST(k["data"].is_null());
    BOOST_TEST(k["error"] == "nope");
    BOOST_TEST(k["audit"]["outcome"] == "refused");
    BOOST_TEST(k["audit"]["error_code"] == "AccessDenied");
}

BOOST_AUTO_TEST_CASE(dispatch_runs_the_named_operation_and_refuses_others) {
    std::vector<Operation> ops = {
        {"echo",
         [](const Request& r, const Context& c) {
             return OperationResult::ok({{"got", r.params["x"]}, {"ws", c.workspace}});
         }},
    };
    auto r = handle_request_text(R"({"operation": "echo", "params": {"x": 3}})", ops, {"/w"});
    BOOST_TEST(r.success);
    BOOST_TEST(r.data["got"] == 3);
    BOOST_TEST(r.data["ws"] == "/w");
    BOOST_TEST(r.audit.operation == "echo");
    auto u = handle_request_text(R"({"operation": "rm_rf"})", ops, {});
    BOOST_TEST(!u.success);
    BOOST_TEST(u.error->find("unknown operation 'rm_rf' (this skill offers: echo)") == 0u);
    BOOST_TEST(u.audit.operation == "rm_rf");
    auto bad = handle_request_text("nope", ops, {});
    BOOST_TEST((!bad.success && bad.audit.error_code == Errc::Protocol));
}
