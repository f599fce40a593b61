//! The committed header `include/palisade.h` must be what cbindgen makes of
//! the current sources, with version macros matching Cargo.toml.
//!
//! Regenerate it with:
//!
//!     PALISADE_BLESS=1 cargo test -p palisade-ffi --test header

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("../../include/palisade.h")
}

fn version_macros() -> String {
    format!(
        "#define PALISADE_VERSION_MAJOR {}\n#define PALISADE_VERSION_MINOR {}\n#define PALISADE_VERSION_PATCH {}\n#define PALISADE_VERSION_STRING \"{}\"\n",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION"),
    )
}

fn generate() -> String {
    let dir = crate_dir();
    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    config.after_includes = Some(format!(
        "\n/* The version of this header. palisade_version() gives the version of the\n * library loaded at run time. */\n{}",
        version_macros()
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src").join("lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_current() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("PALISADE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/palisade.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1);
        panic!(
            "{} is not current (first difference at line {}).\nRegenerate it with:\n\n    PALISADE_BLESS=1 cargo test -p palisade-ffi --test header\n\nand commit the result.",
            path.display(),
            line.map_or_else(|| String::from("end of file"), |l| l.to_string())
        );
    }
}

fn macro_value<'a>(header: &'a str, name: &str) -> &'a str {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("{name} missing from palisade.h"))
        .trim()
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(header_path()).expect("include/palisade.h exists");
    // Read Cargo.toml's version independently of the env! macros used to
    // generate the header.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml"))
            .expect("workspace Cargo.toml");
    let version = manifest
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = "))
        .expect("workspace.package.version")
        .trim_matches('"');
    let mut parts = version.split(['.', '-', '+']);
    for name in [
        "PALISADE_VERSION_MAJOR",
        "PALISADE_VERSION_MINOR",
        "PALISADE_VERSION_PATCH",
    ] {
        assert_eq!(
            macro_value(&header, name),
            parts.next().unwrap(),
            "{name} must match Cargo.toml ({version}); regenerate the header"
        );
    }
    assert_eq!(
        macro_value(&header, "PALISADE_VERSION_STRING"),
        format!("\"{version}\"")
    );
    // And the library reports the same at run time.
    let runtime = unsafe { std::ffi::CStr::from_ptr(palisade::palisade_version()) };
    assert_eq!(runtime.to_str().unwrap(), version);
}
