// broker.toml: defaults, and errors that name the file, line and key.
#define BOOST_TEST_MODULE broker_config
#include <boost/test/unit_test.hpp>
#include <fstream>

#include "daemons/broker/broker_config.hpp"
#include "daemons/broker/runtime.hpp"
#include "process.hpp"

using namespace closedpaw;
using namespace closedpaw::broker;

namespace {
std::string write(const std::string& text) {
    static int n = 0;
    auto dir = cptest::make_temp_dir("brokercfg");
    std::string path = dir + "/broker" + std::to_string(n++) + ".toml";
    std::ofstream(path) << text;
    return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_missing_file_gives_the_defaults_unless_it_was_asked_for) {
    auto c = load_broker_config("/nonexistent/broker.toml", false);
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->front_user == "closedpaw");
    BOOST_TEST(c->runsc_platform == "ptrace");
    BOOST_TEST(!load_broker_config("/nonexistent/broker.toml", true).ok());
}

BOOST_AUTO_TEST_CASE(the_shipped_commented_default_loads) {
    BOOST_TEST(load_broker_config(cptest::source_root() + "/policy/broker.toml", true).ok());
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_bad_values_name_file_line_and_key) {
    auto c = load_broker_config(write("max_concurrent = 2\nfrobnicate = 1\n"), true);
    BOOST_REQUIRE(!c.ok());
    BOOST_TEST(c.error().message.find("frobnicate") != std::string::npos);
    auto d = load_broker_config(write("\nruntime = \"docker\"\n"), true);
    BOOST_REQUIRE(!d.ok());
    BOOST_TEST(d.error().message.find(":2:") != std::string::npos, d.error().message);
    BOOST_TEST(!load_broker_config(write("max_concurrent = 0\n"), true).ok());
    BOOST_TEST(!load_broker_config(write("skill_dir = \"relative\"\n"), true).ok());
}

BOOST_AUTO_TEST_CASE(runsc_extra_args_are_flags_and_cannot_override_the_security_flags) {
    BOOST_TEST(load_broker_config(write("runsc_extra_args = [\"--ignore-cgroups\"]\n"), true).ok());
    BOOST_TEST(!load_broker_config(write("runsc_extra_args = [\"--network=host\"]\n"), true).ok());
    BOOST_TEST(!load_broker_config(write("runsc_extra_args = [\"--root=/tmp\"]\n"), true).ok());
    BOOST_TEST(!load_broker_config(write("runsc_extra_args = [\"run; rm -rf /\"]\n"), true).ok());
}

BOOST_AUTO_TEST_CASE(backends_build_argv_with_the_fixed_security_flags) {
    auto c = load_broker_config(write("run_dir = \"/run/x\"\n"), true);
    BOOST_REQUIRE(c.ok());
    auto runsc = make_runsc_backend(*c);
    auto argv = runsc->run_argv("cp-r1-a", "/run/x/bundles/cp-r1-a");
    auto has = [&](const std::string& a) {
        return std::find(argv.begin(), argv.end(), a) != argv.end();
    };
    BOOST_TEST(has("--network=none"));
    BOOST_TEST(has("--oci-seccomp"));
    BOOST_TEST(has("--root=/run/x/runsc"));
    BOOST_TEST(has("--platform=ptrace"));
    auto kata = make_kata_backend(*c);
    BOOST_TEST(kata->delete_argv("cp-r1-a") ==
               std::vector<std::string>({"/usr/bin/kata-runtime", "--root", "/run/x/kata", "delete",
                                         "--force", "cp-r1-a"}));
    BOOST_TEST(parse_container_list("cp-r1-a\nbogus id\ncp-r2-b\n../x\n") ==
               std::vector<std::string>({"cp-r1-a", "cp-r2-b"}));
}
