/work/main/vendor/lol_html/target/release/deps/phf_codegen-1b192e1d5146b41e.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_codegen-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_codegen-1b192e1d5146b41e.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_codegen-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_codegen-1b192e1d5146b41e.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_codegen-0.13.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_codegen-0.13.1/src/lib.rs:
