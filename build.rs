//! Writes the thousand-body suite that `tests/large_suite.rs` includes: a
//! `suite!` as large as a big service's, generated so that the file in the
//! repository stays readable. It proves such a suite compiles with no
//! attribute from the user (each body expands on its own, so the macro's
//! recursion does not grow with the number of bodies).

use std::fmt::Write as _;

/// How many bodies the generated suite holds.
const BODIES: usize = 1000;

fn main() {
    let mut suite = String::from("crossdrive::suite! {\n    app = app;\n    only = [direct];\n\n");
    for i in 0..BODIES {
        let _ = writeln!(
            suite,
            "    async fn body_{i:04}_answers_hello(client) {{\n        \
             client.get(\"/hello?n={i}\").await.assert_status(200).assert_text(\"hello {i}\");\n    }}\n"
        );
    }
    suite.push_str("}\n");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let path = std::path::Path::new(&out).join("thousand_bodies.rs");
    std::fs::write(&path, suite).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
