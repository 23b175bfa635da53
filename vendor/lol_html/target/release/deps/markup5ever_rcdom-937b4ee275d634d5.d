/work/main/vendor/lol_html/target/release/deps/markup5ever_rcdom-937b4ee275d634d5.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/markup5ever_rcdom-0.39.0+unofficial/lib.rs

/work/main/vendor/lol_html/target/release/deps/libmarkup5ever_rcdom-937b4ee275d634d5.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/markup5ever_rcdom-0.39.0+unofficial/lib.rs

/work/main/vendor/lol_html/target/release/deps/libmarkup5ever_rcdom-937b4ee275d634d5.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/markup5ever_rcdom-0.39.0+unofficial/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/markup5ever_rcdom-0.39.0+unofficial/lib.rs:
