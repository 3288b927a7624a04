// The filesystem skill's operations: read, list, write, delete (files), create_dir, each
// confined to the workspace by the Resolver and bounded by FsSettings.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fs_settings.hpp"
#include "protocol.hpp"
#include "resolver.hpp"
#include "skill_main.hpp"

namespace closedpaw::fs_skill {

class FilesystemSkill {
  public:
    static Result<FilesystemSkill> open(const std::string& workspace,
                                        const nlohmann::json& settings,
                                        ResolveStrategy strategy = ResolveStrategy::Auto);

    // params {path}: data {content, encoding, size}; encoding is "utf-8" for plain text (see
    // skill::is_plain_text) and "base64" for anything else.
    skill::OperationResult read(const nlohmann::json& params) const;
    // params {path?} ("" or "." or absent: the workspace): data {entries: [{name, type, size}],
    // truncated}. Dotfiles are listed only when the settings allow them.
    skill::OperationResult list(const nlohmann::json& params) const;
    // params {path, content, encoding?: "utf-8"|"base64"}: atomic replace; data {size, created}.
    skill::OperationResult write(const nlohmann::json& params) const;
    // params {path}: removes a regular file (never a directory, symlink or hardlinked file).
    skill::OperationResult remove(const nlohmann::json& params) const;
    // params {path}: creates one directory; an existing directory is success (created false).
    skill::OperationResult create_dir(const nlohmann::json& params) const;

    const Resolver& resolver() const { return resolver_; }
    const FsSettings& settings() const { return settings_; }

  private:
    FilesystemSkill(Resolver r, FsSettings s) : resolver_(std::move(r)), settings_(std::move(s)) {}

    Resolver resolver_;
    FsSettings settings_;
};

// The skill's table for skill::run_skill/dispatch: each request opens the workspace given
// in the context with the request's settings. The audit record notes the resolver used.
std::vector<skill::Operation> filesystem_operations(
    ResolveStrategy strategy = ResolveStrategy::Auto);

}  // namespace closedpaw::fs_skill
