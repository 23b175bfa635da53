/work/main/vendor/lol_html/target/release/deps/dtoa_short-76edd515b271acb5.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-short-0.3.5/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libdtoa_short-76edd515b271acb5.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-short-0.3.5/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libdtoa_short-76edd515b271acb5.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-short-0.3.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-short-0.3.5/src/lib.rs:
