// sanitize(): makes untrusted text safe to place inside a prompt. It removes what a reader
// cannot see (controls, zero-width and bidi characters, Unicode tags, invalid UTF-8) and
// neutralises the chat-template and delimiter tokens models treat as structure, so content
// cannot open a system turn or close the envelope it sits in. Visible text is kept.
#pragma once

#include <string>
#include <string_view>

namespace closedpaw::injection {

std::string sanitize(std::string_view untrusted);

}  // namespace closedpaw::injection
