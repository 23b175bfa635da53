/work/main/vendor/lol_html/target/release/deps/dtoa-1a853542e7ee7e12.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/diyfp.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/dtoa.rs

/work/main/vendor/lol_html/target/release/deps/libdtoa-1a853542e7ee7e12.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/diyfp.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/dtoa.rs

/work/main/vendor/lol_html/target/release/deps/libdtoa-1a853542e7ee7e12.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/diyfp.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/dtoa.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/diyfp.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dtoa-1.0.11/src/dtoa.rs:
