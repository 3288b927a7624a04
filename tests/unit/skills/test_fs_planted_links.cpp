// Things planted inside the workspace that point out of it: symlinks (to /, to a file, up
// the tree, into /proc), hardlinks to a file outside, fifos, device nodes, mount points; and
// paths that are not relative names: absolute paths, NUL bytes, overlong names. Each is
// tried with every operation and both resolver strategies; nothing outside may change.
#define BOOST_TEST_MODULE fs_planted_links
#include <sched.h>
#include <sys/mount.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <iostream>

#include "fs_operations.hpp"
#include "fs_test_support.hpp"

using namespace closedpaw;
using namespace closedpaw::fs_skill;

namespace {

const std::string kOutside = "OUTSIDE CONTENT";

struct Planted : cptest::TempTree {
    std::string canary = outside + "/canary.txt";
    Planted() {
        cptest::plant(canary, kOutside);
        cptest::plant(ws + "/notes.txt", "inside");
        std::filesystem::create_directories(ws + "/sub");
        std::filesystem::create_directory_symlink("/", ws + "/root_link");
        std::filesystem::create_directory_symlink(outside, ws + "/out_dir");
        std::filesystem::create_directory_symlink("../outside", ws + "/up_dir");
        std::filesystem::create_symlink(canary, ws + "/abs_link.txt");
        std::filesystem::create_symlink("../outside/canary.txt", ws + "/rel_link.txt");
        std::filesystem::create_symlink("../../outside/canary.txt", ws + "/sub/deep_link.txt");
        std::filesystem::create_symlink("notes.txt", ws + "/inside_link.txt");
        std::filesystem::create_directory_symlink("/proc/self/root", ws + "/proc_root");
        std::filesystem::create_symlink("/proc/self/fd/0", ws + "/fd0.txt");
        std::filesystem::create_hard_link(canary, ws + "/hard.txt");
        ::mkfifo((ws + "/pipe.txt").c_str(), 0644);
    }
    nlohmann::json p(const std::string& path) const { return {{"path", path}}; }
};

void expect_refused(const skill::OperationResult& r, const std::string& what) {
    BOOST_TEST(!r.success, what << " succeeded");
    BOOST_TEST(r.data.is_null(), what);
    BOOST_TEST(r.error.has_value(), what);
    BOOST_TEST(r.audit.outcome == "refused", what);
}

void expect_outside_untouched(const Planted& t) {
    BOOST_TEST(cptest::slurp(t.canary) == kOutside);
    BOOST_TEST(std::filesystem::hard_link_count(t.canary) == 2u);
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(t.outside)) ++n;
    BOOST_TEST(n == 1u, "new entries appeared outside the workspace");
}

}  // namespace

BOOST_AUTO_TEST_CASE(symlinks_planted_in_the_workspace_are_never_followed) {
    Planted t;
    const std::vector<std::string> through_links = {
        "root_link/etc/passwd",
        "out_dir/canary.txt",
        "up_dir/canary.txt",
        "abs_link.txt",
        "rel_link.txt",
        "sub/deep_link.txt",
        "inside_link.txt",
        "proc_root/etc/passwd",
        "fd0.txt",
        "root_link/" + t.canary.substr(1),
    };
    for (auto strategy : cptest::resolve_strategies()) {
        auto fs = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(fs.ok());
        std::string tag = std::string(" [") + resolve_strategy_name(strategy) + "]";
        for (const auto& path : through_links) {
            auto r = fs->read(t.p(path));
            expect_refused(r, "read " + path + tag);
            BOOST_TEST((r.audit.error_code == Errc::AccessDenied), path << tag << ": " << *r.error);
            expect_refused(fs->write({{"path", path}, {"content", "pwned"}}),
                           "write " + path + tag);
            expect_refused(fs->remove(t.p(path)), "delete " + path + tag);
            auto fd = fs->resolver().open(path, O_PATH);
            BOOST_TEST(!fd.ok(), "resolver opened " << path << tag);
        }
        for (const auto& dir : {"root_link", "out_dir", "up_dir", "proc_root", "root_link/tmp"}) {
            expect_refused(fs->list(t.p(dir)), std::string("list ") + dir + tag);
            expect_refused(fs->create_dir(t.p(std::string(dir) + "/newdir")),
                           std::string("create_dir under ") + dir + tag);
            expect_refused(fs->write({{"path", std::string(dir) + "/new.txt"}, {"content", "x"}}),
                           std::string("write under ") + dir + tag);
        }
        BOOST_TEST(std::filesystem::is_symlink(t.ws + "/abs_link.txt"));
        BOOST_TEST(std::filesystem::is_symlink(t.ws + "/rel_link.txt"));
        expect_outside_untouched(t);
    }
}

BOOST_AUTO_TEST_CASE(a_hardlink_to_a_file_outside_is_refused_for_read_write_and_delete) {
    Planted t;
    for (auto strategy : cptest::resolve_strategies()) {
        auto fs = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(fs.ok());
        auto r = fs->read(t.p("hard.txt"));
        expect_refused(r, "read hard.txt");
        BOOST_TEST(r.error->find("hard links") != std::string::npos, *r.error);
        expect_refused(fs->write({{"path", "hard.txt"}, {"content", "pwned"}}), "write hard.txt");
        expect_refused(fs->remove(t.p("hard.txt")), "delete hard.txt");
        BOOST_TEST(std::filesystem::exists(t.ws + "/hard.txt"));
        expect_outside_untouched(t);
    }
}

BOOST_AUTO_TEST_CASE(fifos_and_device_nodes_are_not_regular_files) {
    Planted t;
    bool have_device = ::mknod((t.ws + "/null.txt").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0;
    for (auto strategy : cptest::resolve_strategies()) {
        auto fs = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(fs.ok());
        // The type is checked on a handle that opens nothing: the fifo is never opened (for a
        // device, opening is itself an action), which inotify would report as IN_OPEN.
        UniqueFd watch(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
        BOOST_REQUIRE(watch);
        BOOST_REQUIRE(::inotify_add_watch(watch.get(), (t.ws + "/pipe.txt").c_str(), IN_OPEN) >= 0);
        auto r = fs->read(t.p("pipe.txt"));
        expect_refused(r, "read fifo");
        BOOST_TEST(r.error->find("is a fifo, not a regular file") != std::string::npos, *r.error);
        char events[4096];
        BOOST_TEST(::read(watch.get(), events, sizeof events) < 0, "the fifo was opened");
        expect_refused(fs->write({{"path", "pipe.txt"}, {"content", "x"}}), "write over fifo");
        expect_refused(fs->remove(t.p("pipe.txt")), "delete fifo");
        if (have_device) {
            auto d = fs->read(t.p("null.txt"));
            expect_refused(d, "read device");
            BOOST_TEST(d.error->find("is a device") != std::string::npos, *d.error);
            expect_refused(fs->write({{"path", "null.txt"}, {"content", "x"}}), "write device");
        }
    }
    if (!have_device) BOOST_TEST_MESSAGE("mknod not permitted here: device case not run");
}

BOOST_AUTO_TEST_CASE(absolute_paths_nul_bytes_and_overlong_names_are_refused) {
    Planted t;
    std::string long_name(256, 'a');
    std::string ok_name = std::string(251, 'b') + ".txt";  // exactly NAME_MAX
    cptest::plant(t.ws + "/" + ok_name, "max");
    std::string long_path;
    while (long_path.size() <= kMaxPathBytes) long_path += "d/";
    long_path += "x.txt";

    struct Case {
        std::string path;
        Errc code;
    };
    const std::vector<Case> cases = {
        {"/etc/passwd", Errc::AccessDenied},
        {"/", Errc::AccessDenied},
        {"//etc/passwd", Errc::AccessDenied},
        {t.canary, Errc::AccessDenied},
        {std::string("notes.txt\0", 10), Errc::InvalidArgument},
        {std::string("notes.txt\0/../../outside/canary.txt", 36), Errc::InvalidArgument},
        {std::string("\0", 1), Errc::InvalidArgument},
        {long_name + ".txt", Errc::LimitExceeded},
        {long_path, Errc::LimitExceeded},
        {"sub/../notes.txt", Errc::AccessDenied},
        {"./notes.txt", Errc::AccessDenied},
        {"notes.txt/", Errc::InvalidArgument},
        {"sub//notes.txt", Errc::InvalidArgument},
        {"", Errc::InvalidArgument},
    };
    for (auto strategy : cptest::resolve_strategies()) {
        auto fs = FilesystemSkill::open(t.ws, nlohmann::json::object(), strategy);
        BOOST_REQUIRE(fs.ok());
        for (const auto& c : cases) {
            auto r = fs->read(t.p(c.path));
            expect_refused(r, "read of a bad path");
            BOOST_TEST((r.audit.error_code == c.code),
                       "path of " << c.path.size() << " bytes: " << r.error.value_or(""));
            expect_refused(fs->write({{"path", c.path}, {"content", "x"}}), "write of a bad path");
        }
        auto max = fs->read(t.p(ok_name));
        BOOST_TEST(max.success, max.error.value_or(""));
    }
    expect_outside_untouched(t);
}

BOOST_AUTO_TEST_CASE(a_mount_inside_the_workspace_is_not_crossed) {
    // A private mount namespace: the bind mount below dies with this process, whatever happens.
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        BOOST_TEST_MESSAGE("no private mount namespace here ("
                           << std::strerror(errno) << "): mount crossing not exercised");
        return;
    }
    Planted t;
    std::string mnt = t.ws + "/mnt";
    std::filesystem::create_directories(mnt);
    if (::mount("/proc", mnt.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        BOOST_TEST_MESSAGE("cannot bind-mount here (" << std::strerror(errno)
                                                      << "): mount crossing not exercised");
        return;
    }
    // Detached before the tree is removed, so removal never descends into the mounts.
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt};
    // A bind mount of the same filesystem: same st_dev, another mount.
    std::string same_fs = t.ws + "/same_fs";
    std::filesystem::create_directories(same_fs);
    cptest::plant(t.outside + "/solo.txt", kOutside);  // one link: only the mount can stop it
    BOOST_REQUIRE(::mount(t.outside.c_str(), same_fs.c_str(), nullptr, MS_BIND, nullptr) == 0);
    Unmount unmount_same_fs{same_fs};
    for (auto strategy : cptest::resolve_strategies()) {
        auto fs = FilesystemSkill::open(t.ws, {{"allow_no_extension", true}}, strategy);
        BOOST_REQUIRE(fs.ok());
        for (const auto& path : {"mnt/self/environ", "mnt/self/root/etc/passwd", "mnt/version"}) {
            auto r = fs->read(t.p(path));
            expect_refused(r, std::string("read through a mount: ") + path);
            BOOST_TEST((r.audit.error_code == Errc::AccessDenied), path << ": " << *r.error);
        }
        expect_refused(fs->list(t.p("mnt")), "list a mount point");
        auto r = fs->read(t.p("same_fs/solo.txt"));
        expect_refused(r, "read through a bind mount of the same filesystem");
        BOOST_TEST((r.audit.error_code == Errc::AccessDenied), r.error.value_or(""));
        expect_refused(fs->write({{"path", "same_fs/new.txt"}, {"content", "x"}}),
                       "write through a bind mount of the same filesystem");
    }
}
