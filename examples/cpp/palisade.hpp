// palisade.hpp: a small C++17 RAII wrapper over the C API of libpalisade.
//
// Every handle lives in a std::unique_ptr with a deleter that calls its
// palisade_*_free, so nothing leaks on any path, exceptions included.
// Failures throw palisade::Error, carrying the status code and the
// library's message.
//
// Threads: a Guard is immutable; share one `const Guard&` between any
// number of threads. A Verdict has one owner; the string_views it hands out
// (and those inside a Finding) live as long as the Verdict.
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

inline void check(palisade_status status, const char *what) {
    if (status != PALISADE_STATUS_OK) {
        throw Error(status, std::string(what) + ": " + palisade_status_message(status));
    }
}

inline std::string_view view(palisade_str s) noexcept { return std::string_view(s.data, s.len); }

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
        using detail::view;
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

    /// The raw handle, for C functions this wrapper does not cover yet.
    const palisade_guard *get() const noexcept { return p_.get(); }

private:
    explicit Guard(palisade_guard *raw) noexcept : p_(raw) {}
    std::unique_ptr<palisade_guard, detail::GuardDeleter> p_;
};

/// The version of the library loaded at run time.
inline std::string_view version() { return palisade_version(); }

}  // namespace palisade

#endif  // PALISADE_HPP
