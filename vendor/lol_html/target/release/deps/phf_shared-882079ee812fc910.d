/work/main/vendor/lol_html/target/release/deps/phf_shared-882079ee812fc910.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_shared-882079ee812fc910.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_shared-882079ee812fc910.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs:
