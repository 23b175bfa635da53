/work/main/vendor/lol_html/target/release/deps/string_cache_codegen-ae11b8676526ea84.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/string_cache_codegen-0.6.1/lib.rs

/work/main/vendor/lol_html/target/release/deps/libstring_cache_codegen-ae11b8676526ea84.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/string_cache_codegen-0.6.1/lib.rs

/work/main/vendor/lol_html/target/release/deps/libstring_cache_codegen-ae11b8676526ea84.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/string_cache_codegen-0.6.1/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/string_cache_codegen-0.6.1/lib.rs:
