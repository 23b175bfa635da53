/work/main/vendor/lol_html/target/release/deps/mime-97aaa0ba91775789.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/parse.rs

/work/main/vendor/lol_html/target/release/deps/libmime-97aaa0ba91775789.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/parse.rs

/work/main/vendor/lol_html/target/release/deps/libmime-97aaa0ba91775789.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/parse.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/mime-0.3.18/src/parse.rs:
