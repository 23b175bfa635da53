/work/main/vendor/lol_html/target/release/deps/oorandom-3118067ea4d2c36e.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/oorandom-11.1.5/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/liboorandom-3118067ea4d2c36e.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/oorandom-11.1.5/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/liboorandom-3118067ea4d2c36e.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/oorandom-11.1.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/oorandom-11.1.5/src/lib.rs:
