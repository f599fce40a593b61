//! The built-in rule packs, compiled into the crate as data.

/// A built-in rule pack: a TOML file under `crates/palisade/rules/`.
#[derive(Debug, Clone, Copy)]
pub struct Pack {
    /// The name a policy's `packs` list uses.
    pub name: &'static str,
    /// The pack file's text.
    pub source: &'static str,
}

/// Every built-in pack, in load order.
pub const BUILTIN: &[Pack] = &[
    Pack {
        name: "injection",
        source: include_str!("../rules/injection.toml"),
    },
    Pack {
        name: "injection-multilingual",
        source: include_str!("../rules/injection-multilingual.toml"),
    },
    Pack {
        name: "secrets",
        source: include_str!("../rules/secrets.toml"),
    },
    Pack {
        name: "pii",
        source: include_str!("../rules/pii.toml"),
    },
    Pack {
        name: "output",
        source: include_str!("../rules/output.toml"),
    },
];

/// Finds a built-in pack by name.
pub fn find(name: &str) -> Option<&'static Pack> {
    BUILTIN.iter().find(|p| p.name == name)
}

/// The rules of a built-in pack, as written in its file.
pub fn rules(pack: &Pack) -> Vec<crate::RuleSpec> {
    toml::from_str::<crate::policy::PackFile>(pack.source)
        .map(|f| f.rules)
        .unwrap_or_default()
}
