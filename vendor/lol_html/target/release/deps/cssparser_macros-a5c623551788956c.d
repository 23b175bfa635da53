/work/main/vendor/lol_html/target/release/deps/cssparser_macros-a5c623551788956c.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cssparser-macros-0.6.1/lib.rs

/work/main/vendor/lol_html/target/release/deps/libcssparser_macros-a5c623551788956c.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cssparser-macros-0.6.1/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cssparser-macros-0.6.1/lib.rs:
