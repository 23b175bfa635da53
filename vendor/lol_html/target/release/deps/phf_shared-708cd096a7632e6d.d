/work/main/vendor/lol_html/target/release/deps/phf_shared-708cd096a7632e6d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_shared-708cd096a7632e6d.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_shared-708cd096a7632e6d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_shared-0.13.1/src/lib.rs:
