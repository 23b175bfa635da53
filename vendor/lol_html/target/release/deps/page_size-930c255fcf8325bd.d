/work/main/vendor/lol_html/target/release/deps/page_size-930c255fcf8325bd.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/page_size-0.6.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libpage_size-930c255fcf8325bd.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/page_size-0.6.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libpage_size-930c255fcf8325bd.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/page_size-0.6.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/page_size-0.6.0/src/lib.rs:
