// palisade.hpp: a small C++17 RAII wrapper over the C API of libpalisade.
//
// Every handle lives in a std::unique_ptr with a deleter that calls its
// palisade_*_free, so nothing leaks on any path, exceptions included.
// Failures throw palisade::Error, carrying the status code and the
// library's message.
//
// Threads: a Guard is immutable; share one `const Guard&` between any
// number of threads. A Verdict has one owner; the string_views it hands out
// (and those inside a Finding) live as long as the Verdict. A Stream is
// used by one thread at a time; a Step's string_views live as long as the
// Step; a Vault is immutable and holds secrets.
#ifndef PALISADE_HPP
#define PALISADE_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "palisade.h"

namespace palisade {

/// A failed call: the status code and a message naming what went wrong.
class Error : public std::runtime_error {
public:
    Error(palisade_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    palisade_status status() const noexcept { return status_; }

private:
    palisade_status status_;
};

namespace detail {

struct GuardDeleter {
    void operator()(palisade_guard *g) const noexcept { palisade_guard_free(g); }
};
struct VerdictDeleter {
    void operator()(palisade_verdict *v) const noexcept { palisade_verdict_free(v); }
};
struct ErrorDeleter {
    void operator()(palisade_error *e) const noexcept { palisade_error_free(e); }
};
struct ContextDeleter {
    void operator()(palisade_context *c) const noexcept { palisade_context_free(c); }
};
struct StreamDeleter {
    void operator()(palisade_stream *s) const noexcept { palisade_stream_free(s); }
};
struct StepDeleter {
    void operator()(palisade_step *s) const noexcept { palisade_step_free(s); }
};
struct VaultDeleter {
    void operator()(palisade_vault *v) const noexcept { palisade_vault_free(v); }
};
struct StringDeleter {
    void operator()(palisade_string *s) const noexcept { palisade_string_free(s); }
};


inline void check(palisade_status status, const char *what) {
    if (status != PALISADE_STATUS_OK) {
        throw Error(status, std::string(what) + ": " + palisade_status_message(status));
    }
}

inline std::string_view view(palisade_str s) noexcept { return std::string_view(s.data, s.len); }

/// Copies an owned palisade_string into a std::string and frees it.
inline std::string take(palisade_string *raw) {
    std::unique_ptr<palisade_string, StringDeleter> p(raw);
    palisade_str s;
    check(palisade_string_get(p.get(), &s), "palisade_string_get");
    return std::string(s.data, s.len);
}

inline const std::uint8_t *bytes(std::string_view s) noexcept {
    return reinterpret_cast<const std::uint8_t *>(s.data());
}

}  // namespace detail

/// One finding. The string_views point into the Verdict it came from.
struct Finding {
    std::string_view rule;
    std::string_view category;
    palisade_category category_id;
    std::string_view severity;
    palisade_severity severity_level;
    std::string_view family;
    std::string_view entity;
    std::string_view owasp;
    std::string_view atlas;
    std::string_view view;
    std::string_view evidence;
    std::size_t start;
    std::size_t end;
    double weight;
    bool obfuscated;
};

namespace detail {
inline Finding finding(const palisade_finding &f) noexcept {
    Finding out;
    out.rule = view(f.rule);
    out.category = view(f.category);
    out.category_id = f.category_id;
    out.severity = view(f.severity);
    out.severity_level = f.severity_level;
    out.family = view(f.family);
    out.entity = view(f.entity);
    out.owasp = view(f.owasp);
    out.atlas = view(f.atlas);
    out.view = view(f.view);
    out.evidence = view(f.evidence);
    out.start = f.start;
    out.end = f.end;
    out.weight = f.weight;
    out.obfuscated = f.obfuscated;
    return out;
}
}  // namespace detail

/// The answer for one input. Move-only; frees itself.
class Verdict {
public:
    explicit Verdict(palisade_verdict *raw) noexcept : p_(raw) {}

    palisade_action action() const {
        palisade_action a = PALISADE_ACTION_ALLOW;
        detail::check(palisade_verdict_action(p_.get(), &a), "palisade_verdict_action");
        return a;
    }
    std::string_view action_name() const { return palisade_action_name(action()); }

    double score(palisade_category category) const {
        double s = 0.0;
        detail::check(palisade_verdict_score(p_.get(), category, &s), "palisade_verdict_score");
        return s;
    }

    bool complete() const {
        bool c = false;
        detail::check(palisade_verdict_complete(p_.get(), &c), "palisade_verdict_complete");
        return c;
    }

    std::size_t size() const {
        std::size_t n = 0;
        detail::check(palisade_verdict_finding_count(p_.get(), &n), "palisade_verdict_finding_count");
        return n;
    }

    Finding finding(std::size_t index) const {
        palisade_finding f;
        detail::check(palisade_verdict_finding(p_.get(), index, &f), "palisade_verdict_finding");
        return detail::finding(f);
    }

    std::vector<Finding> findings() const {
        std::vector<Finding> out;
        const std::size_t n = size();
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(finding(i));
        return out;
    }

    std::string_view fingerprint() const { return get(palisade_verdict_fingerprint, "palisade_verdict_fingerprint"); }
    std::string_view redacted() const { return get(palisade_verdict_redacted, "palisade_verdict_redacted"); }
    std::string_view json() const { return get(palisade_verdict_json, "palisade_verdict_json"); }

private:
    template <typename F>
    std::string_view get(F f, const char *what) const {
        palisade_str s;
        detail::check(f(p_.get(), &s), what);
        return detail::view(s);
    }

    std::unique_ptr<palisade_verdict, detail::VerdictDeleter> p_;
};

class Context;
class Stream;
class Vault;

/// A compiled policy. Move-only; frees itself. Share `const Guard&` across
/// threads freely.
class Guard {
public:
    /// The built-in default policy.
    static Guard default_policy() {
        palisade_guard *g = nullptr;
        detail::check(palisade_guard_new_default(&g), "palisade_guard_new_default");
        return Guard(g);
    }

    /// A policy from TOML or JSON text. Throws Error whose message names the
    /// field or rule at fault.
    static Guard from_policy(std::string_view text) {
        palisade_guard *g = nullptr;
        palisade_error *raw_err = nullptr;
        palisade_status status = palisade_guard_new_from_policy(
            reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), &g, &raw_err);
        std::unique_ptr<palisade_error, detail::ErrorDeleter> err(raw_err);
        if (status != PALISADE_STATUS_OK) {
            palisade_str msg;
            if (err && palisade_error_message(err.get(), &msg) == PALISADE_STATUS_OK) {
                throw Error(status, std::string(msg.data, msg.len));
            }
            detail::check(status, "palisade_guard_new_from_policy");
        }
        return Guard(g);
    }

    Verdict inspect(palisade_mode mode, std::string_view input) const {
        palisade_verdict *v = nullptr;
        detail::check(palisade_guard_inspect(p_.get(), mode, reinterpret_cast<const std::uint8_t *>(input.data()),
                                             input.size(), &v),
                      "palisade_guard_inspect");
        return Verdict(v);
    }
    Verdict inspect_prompt(std::string_view input) const { return inspect(PALISADE_MODE_PROMPT, input); }
    Verdict inspect_response(std::string_view input) const { return inspect(PALISADE_MODE_RESPONSE, input); }

    std::string_view fingerprint() const {
        palisade_str s;
        detail::check(palisade_guard_fingerprint(p_.get(), &s), "palisade_guard_fingerprint");
        return detail::view(s);
    }

    std::size_t rule_count() const {
        std::size_t n = 0;
        detail::check(palisade_guard_rule_count(p_.get(), &n), "palisade_guard_rule_count");
        return n;
    }

    /// A guard that also checks responses against `context` (defined below).
    Guard with_context(const Context &context) const;

    /// Starts inspecting a text that arrives in chunks (defined below).
    Stream stream(palisade_mode mode, const Context *context = nullptr) const;

    /// Replaces secrets and personal data with placeholders (defined below).
    Vault pseudonymise(std::string_view text) const;

    /// The raw handle, for C functions this wrapper does not cover yet.
    const palisade_guard *get() const noexcept { return p_.get(); }

private:
    explicit Guard(palisade_guard *raw) noexcept : p_(raw) {}
    std::unique_ptr<palisade_guard, detail::GuardDeleter> p_;
};

/// A new canary token (`plsd-` + 26 random characters): put it in the
/// system prompt and register it with Context::canary.
inline std::string generate_canary() {
    palisade_string *s = nullptr;
    detail::check(palisade_canary_generate(&s), "palisade_canary_generate");
    return detail::take(s);
}

/// Confidential context a response must not reproduce: system prompts,
/// other confidential text, canaries. Move-only; frees itself. Guards and
/// streams copy it, so it may die before them.
class Context {
public:
    Context() {
        palisade_context *c = nullptr;
        detail::check(palisade_context_new(&c), "palisade_context_new");
        p_.reset(c);
    }
    Context &system_prompt(std::string_view text) {
        detail::check(palisade_context_add_system_prompt(p_.get(), detail::bytes(text), text.size()),
                      "palisade_context_add_system_prompt");
        return *this;
    }
    Context &confidential(std::string_view text) {
        detail::check(palisade_context_add_confidential(p_.get(), detail::bytes(text), text.size()),
                      "palisade_context_add_confidential");
        return *this;
    }
    /// Throws Error with PALISADE_STATUS_INVALID_CANARY for a token with
    /// fewer than 12 letters and digits.
    Context &canary(std::string_view token) {
        detail::check(palisade_context_add_canary(p_.get(), detail::bytes(token), token.size()),
                      "palisade_context_add_canary");
        return *this;
    }
    const palisade_context *get() const noexcept { return p_.get(); }

private:
    std::unique_ptr<palisade_context, detail::ContextDeleter> p_;
};

/// What one Stream::push or Stream::finish gives. Move-only; frees itself.
/// The string_views (text, findings) live as long as the Step.
class Step {
public:
    explicit Step(palisade_step *raw) noexcept : p_(raw) {}

    /// Text that is safe to pass on now, already redacted.
    std::string_view text() const {
        palisade_str s;
        detail::check(palisade_step_text(p_.get(), &s), "palisade_step_text");
        return detail::view(s);
    }
    /// The findings so far call for blocking: pass nothing more on.
    bool stop() const {
        bool b = false;
        detail::check(palisade_step_stop(p_.get(), &b), "palisade_step_stop");
        return b;
    }
    /// Findings that became final with this step.
    std::vector<Finding> findings() const {
        std::size_t n = 0;
        detail::check(palisade_step_finding_count(p_.get(), &n), "palisade_step_finding_count");
        std::vector<Finding> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            palisade_finding f;
            detail::check(palisade_step_finding(p_.get(), i, &f), "palisade_step_finding");
            out.push_back(detail::finding(f));
        }
        return out;
    }
    /// True for the step from Stream::finish, which carries the verdict.
    bool has_verdict() const {
        palisade_verdict *v = nullptr;
        detail::check(palisade_step_verdict(p_.get(), &v), "palisade_step_verdict");
        palisade_verdict_free(v);
        return v != nullptr;
    }
    /// The verdict for the whole stream (Stream::finish only; throws
    /// Error otherwise).
    Verdict verdict() const {
        palisade_verdict *v = nullptr;
        detail::check(palisade_step_verdict(p_.get(), &v), "palisade_step_verdict");
        if (v == nullptr) throw Error(PALISADE_STATUS_INVALID_ARGUMENT, "palisade_step_verdict: not a final step");
        return Verdict(v);
    }

private:
    std::unique_ptr<palisade_step, detail::StepDeleter> p_;
};

/// A text inspected as it arrives. Move-only; frees itself. One thread at
/// a time.
class Stream {
public:
    explicit Stream(palisade_stream *raw) noexcept : p_(raw) {}

    Step push(std::string_view chunk) {
        palisade_step *s = nullptr;
        detail::check(palisade_stream_push(p_.get(), detail::bytes(chunk), chunk.size(), &s), "palisade_stream_push");
        return Step(s);
    }
    /// Ends the stream; the step carries the final verdict.
    Step finish() {
        palisade_step *s = nullptr;
        detail::check(palisade_stream_finish(p_.get(), &s), "palisade_stream_finish");
        return Step(s);
    }
    bool stopped() const {
        bool b = false;
        detail::check(palisade_stream_stopped(p_.get(), &b), "palisade_stream_stopped");
        return b;
    }

private:
    std::unique_ptr<palisade_stream, detail::StreamDeleter> p_;
};

/// The originals behind the placeholders of one pseudonymised text, and
/// that text. Move-only; frees itself. Holds secrets.
class Vault {
public:
    explicit Vault(palisade_vault *raw) noexcept : p_(raw) {}

    /// Reads a vault written by json().
    static Vault from_json(std::string_view json) {
        palisade_vault *v = nullptr;
        detail::check(palisade_vault_from_json(detail::bytes(json), json.size(), &v), "palisade_vault_from_json");
        return Vault(v);
    }
    /// The pseudonymised text (empty for a vault read from JSON).
    std::string_view text() const {
        palisade_str s;
        detail::check(palisade_vault_text(p_.get(), &s), "palisade_vault_text");
        return detail::view(s);
    }
    std::size_t size() const {
        std::size_t n = 0;
        detail::check(palisade_vault_entry_count(p_.get(), &n), "palisade_vault_entry_count");
        return n;
    }
    std::string_view json() const {
        palisade_str s;
        detail::check(palisade_vault_json(p_.get(), &s), "palisade_vault_json");
        return detail::view(s);
    }
    /// Replaces this vault's placeholders in `text` by the originals.
    std::string restore(std::string_view text) const {
        palisade_string *s = nullptr;
        detail::check(palisade_vault_restore(p_.get(), detail::bytes(text), text.size(), &s),
                      "palisade_vault_restore");
        return detail::take(s);
    }

private:
    std::unique_ptr<palisade_vault, detail::VaultDeleter> p_;
};

inline Guard Guard::with_context(const Context &context) const {
    palisade_guard *g = nullptr;
    detail::check(palisade_guard_with_context(p_.get(), context.get(), &g), "palisade_guard_with_context");
    return Guard(g);
}

inline Stream Guard::stream(palisade_mode mode, const Context *context) const {
    palisade_stream *s = nullptr;
    detail::check(palisade_stream_new(p_.get(), mode, context ? context->get() : nullptr, &s), "palisade_stream_new");
    return Stream(s);
}

inline Vault Guard::pseudonymise(std::string_view text) const {
    palisade_vault *v = nullptr;
    detail::check(palisade_guard_pseudonymise(p_.get(), detail::bytes(text), text.size(), &v),
                  "palisade_guard_pseudonymise");
    return Vault(v);
}

/// The version of the library loaded at run time.
inline std::string_view version() { return palisade_version(); }

}  // namespace palisade

#endif  // PALISADE_HPP
