// The secure prompt envelope: keeps the system's text and untrusted text apart.
//
// Providers with roles get the system text as the system message and each untrusted piece as
// its own user-role message; providers without roles get one flattened string. Either way each
// untrusted piece is sanitised and wrapped in <untrusted-NONCE source="..."> tags whose random
// nonce the content cannot guess, and the system message says that text inside those tags is
// data to work on, never instructions to follow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "defender.hpp"

namespace closedpaw::injection {

enum class Role { System, User };

struct Message {
    Role role = Role::User;
    std::string content;
};

struct UntrustedPiece {
    std::string source;  // "user", "tool:web.fetch", "skill:filesystem"... (sanitised too)
    std::string text;
};

struct Envelope {
    std::string nonce;  // 32 hex characters from getrandom(2)
    std::vector<Message> messages;

    // One string for providers without roles: the system message first, then the pieces.
    std::string flatten() const;
};

Result<Envelope> build_envelope(std::string_view system_text,
                                const std::vector<UntrustedPiece>& pieces);

}  // namespace closedpaw::injection
