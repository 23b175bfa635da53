/work/main/vendor/lol_html/target/release/deps/stable_deref_trait-35a86594e4cffc1a.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libstable_deref_trait-35a86594e4cffc1a.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libstable_deref_trait-35a86594e4cffc1a.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/stable_deref_trait-1.2.1/src/lib.rs:
