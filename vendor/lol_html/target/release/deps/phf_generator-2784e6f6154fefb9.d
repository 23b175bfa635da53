/work/main/vendor/lol_html/target/release/deps/phf_generator-2784e6f6154fefb9.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_generator-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_generator-2784e6f6154fefb9.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_generator-0.13.1/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libphf_generator-2784e6f6154fefb9.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_generator-0.13.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/phf_generator-0.13.1/src/lib.rs:
