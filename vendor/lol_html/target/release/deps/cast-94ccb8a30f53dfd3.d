/work/main/vendor/lol_html/target/release/deps/cast-94ccb8a30f53dfd3.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cast-0.3.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libcast-94ccb8a30f53dfd3.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cast-0.3.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libcast-94ccb8a30f53dfd3.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cast-0.3.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cast-0.3.0/src/lib.rs:
