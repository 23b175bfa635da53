/work/main/vendor/lol_html/target/release/deps/ciborium_io-e135a031371b2746.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ciborium-io-0.2.2/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libciborium_io-e135a031371b2746.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ciborium-io-0.2.2/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libciborium_io-e135a031371b2746.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ciborium-io-0.2.2/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/ciborium-io-0.2.2/src/lib.rs:
