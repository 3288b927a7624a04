#define BOOST_TEST_MODULE common_config
#include <boost/test/unit_test.hpp>

#include "common/config.hpp"

using namespace closedpaw;

BOOST_AUTO_TEST_CASE(a_syntax_error_names_file_and_line) {
    auto r = ConfigFile::parse("a = 1\nb = = 2\n", "/etc/closedpaw/x.toml");
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == Errc::Config);
    BOOST_TEST(r.error().message.find("/etc/closedpaw/x.toml:2:") == 0, r.error().message);
}

BOOST_AUTO_TEST_CASE(an_unknown_key_is_named_with_its_line) {
    auto f = ConfigFile::parse("[vault]\nmax_entries = 3\nmax_entires = 4\n", "v.toml");
    BOOST_REQUIRE(f);
    auto vault = f->root().get_table("vault");
    BOOST_REQUIRE(vault && *vault);
    auto r = (*vault)->only_keys({"max_entries"});
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message.find("v.toml:3:") == 0, r.error().message);
    BOOST_TEST(r.error().message.find("'vault.max_entires'") != std::string::npos,
               r.error().message);
}

BOOST_AUTO_TEST_CASE(a_wrong_type_or_range_is_an_error_naming_the_key) {
    auto f = ConfigFile::parse("n = \"ten\"\nm = 99\n", "c.toml");
    BOOST_REQUIRE(f);
    auto n = f->root().get_int("n", 0, 10);
    BOOST_REQUIRE(!n);
    BOOST_TEST(n.error().message.find("c.toml:1:") == 0, n.error().message);
    auto m = f->root().get_int("m", 0, 10);
    BOOST_REQUIRE(!m);
    BOOST_TEST(m.error().message.find("key 'm'") != std::string::npos, m.error().message);
    BOOST_TEST(m.error().message.find("outside 0..10") != std::string::npos, m.error().message);
}

BOOST_AUTO_TEST_CASE(missing_optional_keys_are_empty_and_required_ones_fail) {
    auto f = ConfigFile::parse("[[rule]]\nname = \"x\"\n[[rule]]\n", "r.toml");
    BOOST_REQUIRE(f);
    BOOST_TEST(!f->root().get_string("absent").value().has_value());
    auto rules = f->root().get_table_array("rule");
    BOOST_REQUIRE(rules);
    BOOST_REQUIRE_EQUAL(rules->size(), 2u);
    BOOST_TEST((*rules)[0].require_string("name").value() == "x");
    auto missing = (*rules)[1].require_string("name");
    BOOST_REQUIRE(!missing);
    BOOST_TEST(missing.error().message.find("'rule[1].name'") != std::string::npos,
               missing.error().message);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_not_found) {
    auto r = ConfigFile::load("/nonexistent/closedpaw.toml");
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == Errc::NotFound);
}
