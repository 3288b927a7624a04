#define BOOST_TEST_MODULE vault_access_policy
#include <boost/test/unit_test.hpp>

#include "access_policy.hpp"

using namespace closedpaw;
using namespace closedpaw::vault;

namespace {

VaultConfig config() {
    VaultConfig c;
    c.clearances = {{uid_t{0}, std::nullopt, AccessLevel::Admin},
                    {uid_t{1001}, std::nullopt, AccessLevel::Standard},
                    {std::nullopt, gid_t{500}, AccessLevel::Elevated},
                    {uid_t{1003}, std::nullopt, AccessLevel::Public}};
    return c;
}

BusCaller caller(uid_t uid, std::vector<gid_t> gids = {}) {
    BusCaller c;
    c.uid = uid;
    c.gids = std::move(gids);
    return c;
}

EntryMeta entry(AccessLevel level, std::uint32_t owner, std::vector<std::uint32_t> readers = {}) {
    EntryMeta e;
    e.name = "x";
    e.level = level;
    e.owner = owner;
    e.readers = std::move(readers);
    return e;
}

Subject subject(uid_t uid, std::vector<gid_t> gids = {}) {
    auto c = caller(uid, std::move(gids));
    return Subject{uid, clearance_of(config(), c)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(clearance_is_the_highest_matching_rule) {
    BOOST_TEST((clearance_of(config(), caller(0)) == AccessLevel::Admin));
    BOOST_TEST((clearance_of(config(), caller(1001)) == AccessLevel::Standard));
    BOOST_TEST((clearance_of(config(), caller(1001, {500})) == AccessLevel::Elevated));
    BOOST_TEST(!clearance_of(config(), caller(4242)).has_value());
}

BOOST_AUTO_TEST_CASE(a_caller_without_clearance_is_denied_everything) {
    auto s = subject(4242);
    auto e = entry(AccessLevel::Public, 4242);
    BOOST_TEST(may_use(s).error().code == Errc::AccessDenied);
    BOOST_TEST(!may_store(s, nullptr, AccessLevel::Public).ok());
    BOOST_TEST(!may_retrieve(s, e).ok());  // not even their own public secret
    BOOST_TEST(!may_modify(s, e).ok());
    BOOST_TEST(!may_list(s).ok());
    BOOST_TEST(!may_administer(s).ok());
    BOOST_TEST(!may_see(s, e));
}

BOOST_AUTO_TEST_CASE(levels_above_clearance_are_refused) {
    auto s = subject(1001);  // standard
    BOOST_TEST(may_store(s, nullptr, AccessLevel::Standard).ok());
    BOOST_TEST(!may_store(s, nullptr, AccessLevel::Elevated).ok());
    BOOST_TEST(!may_retrieve(s, entry(AccessLevel::Elevated, 1001)).ok());
    BOOST_TEST(!may_see(s, entry(AccessLevel::Elevated, 1001)));
    BOOST_TEST(may_see(s, entry(AccessLevel::Public, 7)));
}

BOOST_AUTO_TEST_CASE(only_owner_readers_and_admins_retrieve) {
    auto owner = subject(1001);
    auto reader = subject(1003);
    auto other = subject(1002, {500});  // elevated clearance, but neither owner nor reader
    auto admin = subject(0);
    auto e = entry(AccessLevel::Public, 1001, {1003});
    BOOST_TEST(may_retrieve(owner, e).ok());
    BOOST_TEST(may_retrieve(reader, e).ok());
    BOOST_TEST(!may_retrieve(other, e).ok());
    BOOST_TEST(may_retrieve(admin, e).ok());
    BOOST_TEST(!may_modify(reader, e).ok());  // readers may not delete or re-share
    BOOST_TEST(may_modify(owner, e).ok());
    BOOST_TEST(!may_store(other, &e, AccessLevel::Public).ok());  // nor overwrite
    BOOST_TEST(may_store(admin, &e, AccessLevel::Public).ok());
}

BOOST_AUTO_TEST_CASE(administration_needs_admin_clearance) {
    BOOST_TEST(may_administer(subject(0)).ok());
    BOOST_TEST(!may_administer(subject(1001, {500})).ok());
}
