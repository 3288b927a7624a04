#define BOOST_TEST_MODULE common_fd_socket
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/fd.hpp"
#include "common/unix_socket.hpp"
#include "process.hpp"

using namespace closedpaw;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    std::string path = cptest::make_temp_dir("fd");
    ~TempDir() { fs::remove_all(path); }
};
}  // namespace

BOOST_AUTO_TEST_CASE(atomic_write_replaces_content_with_exact_mode_and_no_leftovers) {
    TempDir d;
    std::string p = d.path + "/store";
    mode_t old = ::umask(0);  // a permissive umask must not widen the file's mode
    BOOST_REQUIRE(write_file_atomic(p, "first").ok());
    BOOST_REQUIRE(write_file_atomic(p, "second", {.mode = 0600}).ok());
    ::umask(old);
    BOOST_TEST(read_file(p, 100).value() == "second");
    struct stat st {};
    BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(std::distance(fs::directory_iterator(d.path), fs::directory_iterator{}) == 1);
}

BOOST_AUTO_TEST_CASE(atomic_write_into_a_missing_directory_fails_cleanly) {
    auto r = write_file_atomic("/nonexistent-dir/x", "data");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("/nonexistent-dir") != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_CASE(read_file_refuses_symlinks_and_oversized_files) {
    TempDir d;
    BOOST_REQUIRE(write_file_atomic(d.path + "/real", std::string(100, 'x')).ok());
    fs::create_symlink(d.path + "/real", d.path + "/link");
    BOOST_TEST(!read_file(d.path + "/link", 1000).ok());
    auto big = read_file(d.path + "/real", 99);
    BOOST_REQUIRE(!big.ok());
    BOOST_TEST(big.error().code == Errc::LimitExceeded);
    BOOST_TEST(read_file(d.path + "/real", 100).value().size() == 100u);
}

BOOST_AUTO_TEST_CASE(seqpacket_messages_keep_boundaries_and_report_the_kernel_peer) {
    TempDir d;
    std::string path = d.path + "/s.sock";
    auto listener = listen_seqpacket(path, 0600);
    BOOST_REQUIRE_MESSAGE(listener.ok(), (listener ? "" : listener.error().message));
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    auto client = connect_seqpacket(path);
    BOOST_REQUIRE(client.ok());
    UniqueFd server(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    BOOST_REQUIRE(server.valid());

    auto cred = peer_credentials(server.get());
    BOOST_REQUIRE(cred.ok());
    BOOST_TEST(cred->uid == ::getuid());
    BOOST_TEST(cred->pid == ::getpid());

    BOOST_REQUIRE(send_message(client->get(), "one").ok());
    BOOST_REQUIRE(send_message(client->get(), "two two").ok());
    BOOST_TEST(recv_message(server.get(), 64).value().value() == "one");
    BOOST_TEST(recv_message(server.get(), 64).value().value() == "two two");

    // An oversized message is refused whole, not truncated into something parseable.
    BOOST_REQUIRE(send_message(client->get(), std::string(65, 'a')).ok());
    auto big = recv_message(server.get(), 64);
    BOOST_REQUIRE(!big.ok());
    BOOST_TEST(big.error().code == Errc::LimitExceeded);

    auto timeout = recv_message(server.get(), 64, std::chrono::milliseconds(10));
    BOOST_REQUIRE(!timeout.ok());
    BOOST_TEST(timeout.error().code == Errc::Timeout);

    client->reset();
    auto eof = recv_message(server.get(), 64);
    BOOST_REQUIRE(eof.ok());
    BOOST_TEST(!eof->has_value());
}

BOOST_AUTO_TEST_CASE(connecting_to_nothing_is_unavailable) {
    auto r = connect_seqpacket("/nonexistent/broker.sock");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == Errc::Unavailable);
}

BOOST_AUTO_TEST_CASE(listen_refuses_to_replace_a_non_socket) {
    TempDir d;
    BOOST_REQUIRE(write_file_atomic(d.path + "/file", "x").ok());
    auto r = listen_seqpacket(d.path + "/file", 0600);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(read_file(d.path + "/file", 10).value() == "x");
}
