/work/main/vendor/lol_html/target/release/deps/phf_macros-b3f58f0ff33c12a9.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_macros-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_macros-b3f58f0ff33c12a9.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_macros-0.13.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_macros-0.13.1/src/lib.rs:
