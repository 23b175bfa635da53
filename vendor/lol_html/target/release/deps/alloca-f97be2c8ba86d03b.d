/work/main/vendor/lol_html/target/release/deps/alloca-f97be2c8ba86d03b.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/alloca-0.4.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/liballoca-f97be2c8ba86d03b.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/alloca-0.4.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/liballoca-f97be2c8ba86d03b.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/alloca-0.4.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/alloca-0.4.0/src/lib.rs:
